// What the browser tests share: Debian's chromium driven by playwright-core
// (from the build's npm ci; no browser download), a small TAP runner whose
// failing cases leave a screenshot in meson's log directory, and calls to
// vmgrd as root through gdbus to check what the page did.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";

const require = createRequire(join(process.env.VMGR_WEB_NODE_MODULES, "noop.js"));
const { chromium } = require("playwright-core");

export const URL = {
    admin: process.env.VMGR_WEB_URL_ADMIN,
    alice: process.env.VMGR_WEB_URL_ALICE,
    bob: process.env.VMGR_WEB_URL_BOB,
};

const CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const TIMEOUT_MS = 15000;

export function assert(condition, message) {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

/* A Manager method or a property read as root, through gdbus. */
export function gdbus(path, method, ...args) {
    return execFileSync("gdbus", ["call", "--system", "--dest", "org.vmgr", "--object-path", path,
        "--method", method, ...args], { encoding: "utf8" }).trim();
}

export function property(path, iface, name) {
    return gdbus(path, "org.freedesktop.DBus.Properties.Get", iface, name);
}

export function vmPath(name) {
    const out = gdbus("/org/vmgr/Manager", "org.vmgr.Manager.FindVM", name);
    return /'([^']+)'/.exec(out)[1];
}

export function vmExists(name) {
    try {
        vmPath(name);
        return true;
    } catch (ex) {
        return false;
    }
}

/* Whether the VM at @path has a snapshot @name, asked as root. */
export function snapshotExists(path, name) {
    try {
        property(`${path}/snapshot/${name}`, "org.vmgr.Snapshot", "Name");
        return true;
    } catch (ex) {
        return false;
    }
}

/* Opens the page as a user; records every frame the page received from
 * Cockpit (what vmgrd answered it, through the bridge). */
export async function openPage(browser, url) {
    /* The page's CSP forbids eval; playwright's waitForFunction needs it. */
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    page.received = [];
    page.errors = [];
    page.on("websocket", ws => ws.on("framereceived", frame => page.received.push(String(frame.payload))));
    page.on("pageerror", err => page.errors.push(String(err)));
    /* The first load of a cold cockpit-ws on a busy machine is slow. */
    await page.goto(url, { waitUntil: "domcontentloaded", timeout: 60000 });
    await page.waitForSelector("#vmgr-app", { timeout: 60000 });
    return page;
}

/* Runs the cases in order, printing TAP. */
export async function run(file, cases) {
    const name = basename(file, ".mjs");
    let browser;
    let failed = 0;
    console.log(`1..${cases.length}`);
    try {
        /* playwright gives each launch a fresh temporary profile. */
        browser = await chromium.launch({
            executablePath: process.env.VMGR_WEB_CHROMIUM || "/usr/bin/chromium",
            headless: true,
            args: CHROMIUM_ARGS,
        });
    } catch (ex) {
        console.log(`Bail out! chromium did not start: ${ex.message}`);
        process.exit(1);
    }
    const shared = {};
    for (let i = 0; i < cases.length; i++) {
        const [title, fn] = cases[i];
        const pages = [];
        const state = { browser, open: async url => { const p = await openPage(browser, url); pages.push(p); return p }, shared };
        try {
            await fn(state);
            console.log(`ok ${i + 1} /web/${name}/${title}`);
        } catch (ex) {
            failed++;
            console.log(`not ok ${i + 1} /web/${name}/${title}`);
            for (const line of String(ex.stack || ex).split("\n"))
                console.log(`# ${line}`);
            for (const [j, p] of pages.entries()) {
                const dir = process.env.VMGR_WEB_LOG_DIR;
                try {
                    mkdirSync(dir, { recursive: true });
                    const shot = join(dir, `${name}-${title}-${j}.png`);
                    await p.screenshot({ path: shot, fullPage: true });
                    console.log(`# screenshot: ${shot}`);
                    for (const e of p.errors)
                        console.log(`# page error: ${e}`);
                } catch (e) {
                    console.log(`# no screenshot: ${e.message}`);
                }
            }
        }
        for (const p of pages)
            await p.context().close().catch(() => {});
    }
    await browser.close();
    process.exit(failed ? 1 : 0);
}
