import type { BuildOptions } from 'esbuild'
export declare function serviceBuildOptions(where: { root: string; outdir: string }): BuildOptions
