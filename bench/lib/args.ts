// Command-line options of the bench tools, written `--name=value`.

/** The value of `--name=…`, or `dflt` when it is not given. */
export function arg(name: string, dflt: string): string {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt
}
