// The administrator's panel in a real browser, as vmgradmin (group
// vmgr-admin) through cockpit-ws: create a VM with the dialog, change its
// memory, a wrong value shown at its field and changing nothing, graphs
// filling from live samples, snapshots (taken, listed, reverted to,
// deleted; a bad name and a taken one refused at the name), save and
// restore, the other views, delete with confirmation.
import { URL, assert, property, run, snapshotExists, vmExists, vmPath } from "./browser.mjs";

const MiB = 1024 * 1024;

async function goto(page, hash) {
    await page.evaluate(h => { window.location.hash = h }, hash);
}

async function fill(page, selector, value) {
    await page.fill(selector, "");
    await page.fill(selector, value);
}

function uint64(text) {
    return Number(/uint64 (\d+)/.exec(text)[1]);
}

run(import.meta.url, [
    ["create-with-dialog", async ({ open }) => {
        const page = await open(URL.admin);
        assert(await page.getAttribute("#vmgr-app", "data-panel") === "admin", "the admin panel is shown");
        await page.click("#create-vm");
        await fill(page, "#create-name", "webmade");
        await page.selectOption("#create-plan", "basic");
        await page.selectOption("#create-owner", "60002");
        await fill(page, "#create-hostname", "webmade.example.org");
        await page.click("#create-submit");
        await page.waitForSelector('#vm-page[data-vm="webmade"]');
        await page.waitForSelector('#vm-page .vmgr-state[data-state="running"]');
        assert(/alice/.test(await page.innerText("#vm-page")), "owned by alice");
        const path = vmPath("webmade");
        assert(/'alice'/.test(property(path, "org.vmgr.VM", "OwnerName")), "vmgrd has the owner");
    }],

    ["create-error-at-field", async ({ open }) => {
        const page = await open(URL.admin);
        await page.click("#create-vm");
        await fill(page, "#create-name", "badaddr");
        await page.selectOption("#create-plan", "basic");
        await fill(page, "#create-addresses", "10.0.0.300/24");
        await page.click("#create-submit");
        const error = await page.waitForSelector("#create-dialog .vmgr-field-error");
        assert(/not a valid CIDR/.test(await error.innerText()), "vmgrd's message under Addresses");
        const group = await page.$eval("#create-addresses", el => el.closest(".pf-v5-c-form__group").innerText);
        assert(/not a valid CIDR/.test(group), "the error is in the Addresses group");
        assert(!vmExists("badaddr"), "no VM was created");
    }],

    ["change-memory", async ({ open }) => {
        const page = await open(URL.admin);
        const path = vmPath("webmade");
        await goto(page, `#/vm/${path.split("/").pop()}`);
        await page.waitForSelector("#hw-memory");
        await fill(page, "#hw-memory-limit", "96M");
        await fill(page, "#hw-memory-soft", "80M");
        await page.click("#hw-memory button[type=submit]");
        await page.waitForSelector("#hw-memory .vmgr-applied");
        await page.waitForFunction(() => /of 96 MiB/.test(document.querySelector("#vm-memory-limit").innerText));
        assert(uint64(property(path, "org.vmgr.VM", "MemoryLimit")) === 96 * MiB, "vmgrd has 96 MiB");
    }],

    ["wrong-value-at-field-changes-nothing", async ({ open }) => {
        const page = await open(URL.admin);
        const path = vmPath("webmade");
        const before = property(path, "org.vmgr.VM", "MemoryGuarantee");
        await goto(page, `#/vm/${path.split("/").pop()}`);
        await page.waitForSelector("#hw-memory");
        await fill(page, "#hw-memory-guarantee", "1G");
        await page.click("#hw-memory button[type=submit]");
        const error = await page.waitForSelector("#hw-memory .vmgr-field-error");
        const text = await error.innerText();
        assert(/memory_guarantee/.test(text) && /exceeds/.test(text), `vmgrd's error: ${text}`);
        const group = await page.$eval("#hw-memory-guarantee", el => el.closest(".pf-v5-c-form__group").innerText);
        assert(/memory_guarantee/.test(group), "the error is under Guarantee");
        assert(!(await page.$("#hw-memory .vmgr-applied")), "not applied");
        assert(property(path, "org.vmgr.VM", "MemoryGuarantee") === before, "nothing changed");
        assert(uint64(property(path, "org.vmgr.VM", "MemoryLimit")) === 96 * MiB, "the limit stayed");
    }],

    ["graphs-show-points", async ({ open }) => {
        const page = await open(URL.admin);
        const path = vmPath("webmade");
        await goto(page, `#/vm/${path.split("/").pop()}`);
        /* Sampled every second: a few points from the history, then live. */
        await page.waitForFunction(() => {
            const g = document.querySelector('#vm-graphs [data-graph="Memory"]');
            return g && Number(g.dataset.points) >= 3;
        }, null, { timeout: 20000 });
        const before = Number(await page.getAttribute('#vm-graphs [data-graph="CPU"]', "data-points"));
        await page.waitForFunction(n => Number(document.querySelector('#vm-graphs [data-graph="CPU"]').dataset.points) > n,
                                   before, { timeout: 10000 });
        assert(await page.$$eval('#vm-graphs [data-graph="CPU"] circle', c => c.length) > before, "points drawn");
    }],

    ["snapshot-take-revert-delete", async ({ open }) => {
        const page = await open(URL.admin);
        const path = vmPath("webmade");
        await goto(page, `#/vm/${path.split("/").pop()}`);
        await page.waitForSelector("#vm-snapshots #snapshot-none");

        /* A name vmgrd refuses: its message under Name, nothing taken. */
        await page.click("#snapshot-take");
        await fill(page, "#snapshot-name", "before-upgrade");
        await page.click("#snapshot-submit");
        let error = await page.waitForSelector("#snapshot-dialog .vmgr-field-error");
        assert(/Invalid value: invalid snapshot name/.test(await error.innerText()), `the name's error: ${await error.innerText()}`);
        let group = await page.$eval("#snapshot-name", el => el.closest(".pf-v5-c-form__group").innerText);
        assert(/invalid snapshot name/.test(group), "the error is under Name");
        assert(!snapshotExists(path, "before-upgrade"), "no snapshot was taken");

        await fill(page, "#snapshot-name", "before_upgrade");
        await fill(page, "#snapshot-description", "clean install");
        await page.click("#snapshot-submit");
        const row = '#snapshot-list [data-snapshot="before_upgrade"]';
        await page.waitForSelector(row);
        assert(!(await page.$("#snapshot-dialog")), "the dialog closed");
        let text = await page.innerText(row);
        assert(/clean install/.test(text), `the description is listed: ${text}`);
        assert(await page.$(`${row} .vmgr-state[data-state="running"]`), "it captured a running server");
        assert(snapshotExists(path, "before_upgrade"), "vmgrd has it");

        /* The same name again: AlreadyExists under Name. */
        await page.click("#snapshot-take");
        await fill(page, "#snapshot-name", "before_upgrade");
        await page.click("#snapshot-submit");
        error = await page.waitForSelector("#snapshot-dialog .vmgr-field-error");
        assert(/Already exists/.test(await error.innerText()), `the name is taken: ${await error.innerText()}`);
        await fill(page, "#snapshot-name", "after_upgrade");
        await page.click("#snapshot-submit");
        const after = '#snapshot-list [data-snapshot="after_upgrade"]';
        await page.waitForSelector(after);
        text = await page.innerText(after);
        assert(/before_upgrade/.test(text), `its parent is before_upgrade: ${text}`);

        /* Off, then back to the running snapshot. */
        await page.click('#vm-page .vmgr-vm-header button[data-action="Stop"]');
        await page.waitForSelector('#vm-page .vmgr-vm-header .vmgr-state[data-state="stopped"]');
        await page.click(`${row} button[data-action="Revert"]`);
        await page.click('.pf-v5-c-modal-box button:has-text("Revert")');
        await page.waitForSelector('#vm-page .vmgr-vm-header .vmgr-state[data-state="running"]');
        assert(/'from-snapshot'/.test(property(path, "org.vmgr.VM", "StateReason")), "reverted: reason from-snapshot");
        assert(snapshotExists(path, "before_upgrade"), "the snapshot stays");

        /* Deleted: its row goes, its child takes its parent (none). */
        await page.click(`${row} button[data-action="Delete"]`);
        await page.click('.pf-v5-c-modal-box button:has-text("Delete")');
        await page.waitForFunction(r => !document.querySelector(r), row);
        assert(!snapshotExists(path, "before_upgrade"), "vmgrd deleted it");
        await page.waitForFunction(r => !/before_upgrade/.test(document.querySelector(r).innerText), after);
    }],

    ["save-and-restore", async ({ open }) => {
        const page = await open(URL.admin);
        const path = vmPath("webmade");
        await goto(page, `#/vm/${path.split("/").pop()}`);
        const header = "#vm-page .vmgr-vm-header";
        await page.waitForSelector(`${header} .vmgr-state[data-state="running"]`);
        await page.click(`${header} button[data-action="Save"]`);
        await page.waitForSelector(`${header} .vmgr-state[data-state="suspended"]`);
        assert(/'saved'/.test(property(path, "org.vmgr.VM", "StateReason")), "vmgrd: saved");
        const restore = await page.waitForSelector(`${header} button[data-action="Start"]`);
        assert(await restore.innerText() === "Restore", `Start says Restore: ${await restore.innerText()}`);
        assert(await page.innerText(`${header} button[data-action="Stop"]`) === "Discard saved state", "Stop discards");
        assert(!(await page.$(`${header} button[data-action="Save"]`)), "no Save while saved");
        await restore.click();
        await page.waitForSelector(`${header} .vmgr-state[data-state="running"]`);
        assert(/'restored'/.test(property(path, "org.vmgr.VM", "StateReason")), "vmgrd: restored");
    }],

    ["host-customers-catalog-audit", async ({ open }) => {
        const page = await open(URL.admin);
        await page.click("[data-tab=overview]");
        await page.waitForSelector("#host-vm-count");
        assert(/4 servers/.test(await page.innerText("#host-vm-count")), "4 servers on the host");
        await page.click("[data-tab=customers]");
        await page.waitForSelector('#customer-list [data-customer="alice"]');
        assert(/2 of 2/.test(await page.innerText('#customer-list [data-customer="alice"]')), "alice's quota and allocation");
        await page.click("[data-tab=catalog]");
        await page.waitForSelector('#plan-list [data-plan="professional"]');
        await page.waitForSelector('#template-list [data-template="debian-12"]');
        await page.click("[data-tab=audit]");
        await page.waitForSelector("#audit-list tbody tr");
        assert(/SetMemory|vm.configure/.test(await page.innerText("#audit-list")), "the memory change is audited");
    }],

    ["suspend-customer", async ({ open }) => {
        const page = await open(URL.admin);
        await goto(page, "#/customers");
        const row = '#customer-list [data-customer="bob"]';
        await page.waitForSelector(row);
        await page.click(`${row} >> text=Suspend`);
        await page.fill("#suspend-reason", "unpaid invoice");
        await page.click("#suspend-dialog .vmgr-dialog-submit");
        await page.waitForFunction(r => /suspended: unpaid invoice/.test(document.querySelector(r).innerText), row);
        await page.click(`${row} >> text=Unsuspend`);
        await page.waitForFunction(r => /active/.test(document.querySelector(r).innerText), row);
    }],

    ["delete-with-confirmation", async ({ open }) => {
        const page = await open(URL.admin);
        const path = vmPath("webmade");
        await goto(page, `#/vm/${path.split("/").pop()}`);
        await page.click("#vm-delete");
        await page.click('.pf-v5-c-modal-box button:has-text("Delete")');
        await page.waitForSelector("#vm-list");
        await page.waitForFunction(() => !document.querySelector('#vm-list [data-vm="webmade"]'));
    }],
]);
