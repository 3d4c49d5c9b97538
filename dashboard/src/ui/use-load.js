// Loads data for a view: {data, error, loading, reload, setData}. Keeps old data while reloading.
import { useCallback, useEffect, useState } from 'preact/hooks'

/**
 * @template T
 * @param {() => Promise<T>} fn
 * @param {unknown[]} [deps]
 */
export function useLoad(fn, deps = []) {
  const [state, setState] = useState(/** @type {{ data: T | null, error: unknown, loading: boolean }} */ ({ data: null, error: null, loading: true }))
  const reload = useCallback(() => {
    setState((s) => ({ ...s, loading: true }))
    return fn().then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => setState((s) => ({ ...s, error, loading: false })),
    )
  }, deps)
  useEffect(() => {
    reload()
  }, [reload])
  /** @param {T} data */
  const setData = (data) => setState((s) => ({ ...s, data }))
  return { ...state, reload, setData }
}
