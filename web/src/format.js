/* Sizes as people write them, and back. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(n) {
    if (n === undefined || n === null)
        return "";
    let v = Number(n);
    let i = 0;
    while (v >= 1024 && i < UNITS.length - 1) {
        v /= 1024;
        i++;
    }
    const text = v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1);
    return `${text} ${UNITS[i]}`;
}

/* "512M", "1.5G", "2GiB", "1024" (bytes) -> bytes; NaN when not a size. */
export function parseSize(text) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(String(text));
    if (!m)
        return NaN;
    const power = { "": 0, k: 1, m: 2, g: 3, t: 4 }[m[2].toLowerCase()];
    return Math.round(parseFloat(m[1]) * Math.pow(1024, power));
}

/* A size for an input field: the largest unit that shows it exactly. */
export function sizeInput(n) {
    if (!n)
        return "0";
    const suffix = ["", "K", "M", "G", "T"];
    let v = Number(n);
    let i = 0;
    while (i < suffix.length - 1 && v % 1024 === 0) {
        v /= 1024;
        i++;
    }
    return `${v}${suffix[i]}`;
}

export function percent(used, total) {
    if (!total)
        return 0;
    return Math.max(0, Math.min(100, (100 * used) / total));
}

export function formatTime(usec) {
    if (!usec)
        return "";
    return new Date(Number(usec) / 1000).toLocaleString();
}

export function formatUptime(s) {
    if (!s)
        return "";
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}

export function vmIdOfPath(path) {
    return path.slice(path.lastIndexOf("/") + 1);
}
