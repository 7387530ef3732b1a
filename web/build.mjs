// Bundles the page with esbuild: src/index.jsx -> OUTDIR/index.js and
// index.css, next to index.html and manifest.json. cockpit.js is not
// bundled: index.html loads the installed Cockpit's ../base1/cockpit.js.
//
// Usage: node build.mjs [--outdir DIR] [--node-modules DIR] [--dev]
//   --node-modules  where `npm ci` put the packages (meson installs them
//                   in the build tree, not next to the sources)
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
};
const outdir = resolve(option("--outdir", join(here, "dist")));
const nodeModules = resolve(option("--node-modules", join(here, "node_modules")));
const dev = args.includes("--dev");
// esbuild from where `npm ci` put it (the build tree), not next to this file.
const { build } = createRequire(join(nodeModules, "package.json"))("esbuild");

mkdirSync(outdir, { recursive: true });
await build({
    entryPoints: { index: join(here, "src", "index.jsx") },
    bundle: true,
    outdir,
    nodePaths: [nodeModules],
    minify: !dev,
    sourcemap: dev ? "inline" : false,
    target: ["es2020"],
    jsx: "automatic",
    legalComments: "external",
    define: { "process.env.NODE_ENV": dev ? '"development"' : '"production"' },
    // PatternFly's fonts are left out: the page uses the system's fonts,
    // which keeps the bundle small.
    loader: { ".woff": "empty", ".woff2": "empty", ".ttf": "empty", ".otf": "empty", ".svg": "dataurl", ".png": "dataurl", ".jpg": "dataurl" },
    logLevel: "warning",
});
for (const f of ["index.html", "manifest.json"])
    copyFileSync(join(here, "src", f), join(outdir, f));
// The licences of what the bundles hold; always there, so that the build
// knows its outputs.
for (const f of ["index.js.LEGAL.txt", "index.css.LEGAL.txt"])
    if (!existsSync(join(outdir, f)))
        writeFileSync(join(outdir, f), "");
