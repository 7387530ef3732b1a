// The page on real LXC containers (suite 'real', through real-lxc-env.sh
// under testbus.sh and libvirtd.sh): alice types a command into her
// running container's console in the browser and reads its output; bob
// gets no console for it (the VM is absent for him, and vmgrctl console
// through his bridge is refused); an administrator creates a container
// with the dialog and sees its provisioning job's progress; a creation
// cancelled from the page leaves no VM. The provisioning copies use the
// template "gated", whose copy waits at a gate the test holds
// (lease-gate.py), so that the job is seen in progress without racing it.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { URL, assert, gdbus, property, run, vmExists, vmPath } from "./browser.mjs";

const GATE = process.env.VMGR_WEB_GATE;
const LEASE_GATE = join(dirname(fileURLToPath(import.meta.url)), "lease-gate.py");
const STATE_DIR = join(process.env.VMGR_TESTBUS_DIR, "web", "state");

async function goto(page, hash) {
    await page.evaluate(h => { window.location.hash = h }, hash);
}

async function fill(page, selector, value) {
    await page.fill(selector, "");
    await page.fill(selector, value);
}

function vmId(name) {
    return vmPath(name).split("/").pop();
}

/* Holds the gate of the template "gated": resolves once the leases are
 * taken; .opened resolves when a copy reaches the gate; .release() lets
 * it through. */
function holdGate() {
    const files = readdirSync(GATE).map(f => join(GATE, f));
    const child = spawn("/usr/bin/python3", [LEASE_GATE, ...files], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout });
    const said = {};
    const waiters = {};
    const hear = word => said[word] || (said[word] = new Promise(resolve => { waiters[word] = resolve }));
    lines.on("line", line => { hear(line); waiters[line]?.() });
    const exited = new Promise(resolve => child.on("exit", resolve));
    const gate = {
        opened: hear("opened"),
        async release() {
            if (child.exitCode === null && !child.stdin.writableEnded)
                child.stdin.end("go\n");
            await exited;
        },
    };
    return Promise.race([
        hear("held").then(() => gate),
        exited.then(code => { throw new Error(`lease-gate.py exited (${code}) before holding the gate`) }),
    ]);
}

async function createFromDialog(page, name) {
    await page.click("#create-vm");
    await fill(page, "#create-name", name);
    await page.selectOption("#create-template", "gated");
    await page.selectOption("#create-plan", "basic");
    await page.click("#create-submit");
    await page.waitForSelector(`#vm-page[data-vm="${name}"]`);
}

function terminalText(page) {
    return page.$eval("#vm-console .xterm-rows", el => el.innerText);
}

run(import.meta.url, [
    ["console-alice", async ({ open }) => {
        const page = await open(URL.alice);
        await goto(page, `#/vm/${vmId("ct1")}`);
        await page.waitForSelector('#vm-page[data-vm="ct1"] .vmgr-state[data-state="running"]');
        await page.click("#console-open");
        await page.waitForSelector("#vm-console .xterm-rows");
        /* vmgrctl console says so once it is attached. */
        await page.waitForFunction(() => /escape character is/.test(document.querySelector("#vm-console .xterm-rows").innerText));
        await page.click("#vm-console .xterm");
        await page.keyboard.type("echo vmgr-console-$((6*7))");
        await page.keyboard.press("Enter");
        await page.waitForFunction(() => /vmgr-console-42/.test(document.querySelector("#vm-console .xterm-rows").innerText));
        const text = await terminalText(page);
        assert(/echo vmgr-console-\$\(\(6\*7\)\)/.test(text), `the typed command is echoed: ${text}`);
        assert(!(await page.$("#vm-console .vmgr-console-ended")), "the console session is still open");
    }],

    ["console-bob-none", async ({ open }) => {
        const page = await open(URL.bob);
        const id = vmId("ct1");
        await goto(page, `#/vm/${id}`);
        await page.waitForSelector(`h2:has-text("Server ${id} does not exist")`);
        assert(!(await page.$("#vm-console")) && !(await page.$("#console-open")), "no console on the page");
        const seen = page.received.join("\n");
        assert(!seen.includes("ct1") && !seen.includes(`${vmPath("ct1")}"`), "the page never received ct1");
        /* What the console card would run, through bob's bridge. */
        const spawned = await page.evaluate(() => new Promise(resolve => {
            cockpit.spawn(["vmgrctl", "console", "ct1"], { err: "message" })
                    .then(out => resolve(`ok: ${out}`), ex => resolve(`status ${ex.exit_status}: ${ex.message}`));
        }));
        assert(/^status [1-9]/.test(spawned) && /no VM named or numbered .ct1./.test(spawned),
               `vmgrctl console ct1 refused as bob: ${spawned}`);
    }],

    ["create-shows-job-progress", async ({ open }) => {
        const gate = await holdGate();
        try {
            const page = await open(URL.admin);
            await createFromDialog(page, "webct");
            const bar = '#vm-page .vmgr-job [role="progressbar"]';
            await page.waitForSelector(bar);
            await page.waitForSelector("#vm-page .vmgr-job-cancel");
            await gate.opened;
            /* The copy waits at the gate: the page shows vmgrd's progress. */
            const job = /'([^']+)'/.exec(property(vmPath("webct"), "org.vmgr.VM", "Job"))[1];
            assert(job !== "/", "vmgrd has the provisioning job");
            assert(/'provision'/.test(property(job, "org.vmgr.Job", "Operation")), "a provision job");
            let shown, progress;
            for (let i = 0; i < 100; i++) {
                progress = Number(/([\d.]+)/.exec(property(job, "org.vmgr.Job", "Progress"))[1]);
                shown = Number(await page.getAttribute(bar, "aria-valuenow"));
                if (Math.abs(shown - 100 * progress) < 0.5)
                    break;
                await page.waitForTimeout(100);
            }
            assert(Math.abs(shown - 100 * progress) < 0.5, `the bar shows ${shown}, vmgrd ${progress}`);
            assert(progress < 1, `not done yet: ${progress}`);
            assert(/'provisioning'/.test(property(vmPath("webct"), "org.vmgr.VM", "State")), "vmgrd says provisioning");
            await gate.release();
            /* Through the gate: provisioned, then started ("Start now"). */
            await page.waitForSelector('#vm-page[data-vm="webct"] .vmgr-state[data-state="running"]', { timeout: 60000 });
            await page.waitForSelector("#vm-page .vmgr-job", { state: "detached" });
            assert(/'running'/.test(property(vmPath("webct"), "org.vmgr.VM", "State")), "vmgrd says running");
        } finally {
            await gate.release();
        }
    }],

    ["cancel-from-page-leaves-nothing", async ({ open }) => {
        const gate = await holdGate();
        try {
            const page = await open(URL.admin);
            await createFromDialog(page, "doomed");
            const path = vmPath("doomed");
            const id = path.split("/").pop();
            await page.waitForSelector("#vm-page .vmgr-job-cancel");
            await gate.opened;
            await page.click("#vm-page .vmgr-job-cancel");
            /* vmgrd accepted the Cancel: the page says so until the job ends,
             * which is at once when the root image's mke2fs (blocked on the
             * gated file) is killed. */
            await page.waitForSelector('#vm-page .vmgr-job-cancel:has-text("Cancelling"), ' +
                                       `h2:has-text("Server ${id} does not exist")`);
            await gate.release();
            await page.waitForSelector(`h2:has-text("Server ${id} does not exist")`, { timeout: 60000 });
            assert(!vmExists("doomed"), "FindVM knows no doomed");
            const vms = gdbus("/org/vmgr/Manager", "org.vmgr.Manager.ListVMs");
            assert(!vms.includes(`'${path}'`), `not in ListVMs: ${vms}`);
            assert(!existsSync(join(STATE_DIR, "guests", id)), "no guest directory left");
            await goto(page, "#/");
            await page.waitForSelector('#vm-list [data-vm="webct"]');
            assert(!(await page.$('#vm-list [data-vm="doomed"]')), "not in the page's list");
        } finally {
            await gate.release();
        }
    }],
]);
