// The README's pictures of both panels, taken in the browser tests' world
// (not a test; run by hand, as root):
//   VMGR_SOURCE_ROOT=$PWD VMGR_BUILD_ROOT=$PWD/build \
//     tests/harness/testbus.sh -- tests/web/browser-env.sh $PWD/tests/web/screenshots.mjs
// They go to $VMGR_SOURCE_ROOT/docs.
import { join } from "node:path";

import { URL, openPage, run, vmPath } from "./browser.mjs";

const out = join(process.env.VMGR_SOURCE_ROOT, "docs");

async function shot(page, name) {
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(out, name) });
}

run("screenshots.mjs", [
    ["admin", async ({ browser }) => {
        const page = await openPage(browser, URL.admin);
        await page.waitForSelector('#vm-list [data-vm="bob-secret"]');
        await page.waitForTimeout(3000);
        await shot(page, "web-admin-servers.png");
        await page.evaluate(id => { window.location.hash = `#/vm/${id}` }, vmPath("bob-secret").split("/").pop());
        await page.waitForSelector("#hw-memory");
        await page.waitForTimeout(4000);
        await page.setViewportSize({ width: 1400, height: 1400 });
        await shot(page, "web-admin-vm.png");
        await page.setViewportSize({ width: 1400, height: 700 });
        await page.evaluate(() => { window.location.hash = "#/customers" });
        await page.waitForSelector('#customer-list [data-customer="alice"]');
        await shot(page, "web-admin-customers.png");
        await page.context().close();
    }],
    ["customer", async ({ browser }) => {
        const page = await openPage(browser, URL.alice);
        await page.setViewportSize({ width: 1400, height: 600 });
        await page.click('#vm-list [data-vm="alice-web"] button[data-action="Start"]');
        await page.waitForSelector('#vm-list [data-vm="alice-web"] .vmgr-state[data-state="running"]');
        await page.waitForTimeout(3000);
        await shot(page, "web-customer-servers.png");
        await page.click("[data-tab=contract]");
        await page.waitForSelector("#contract-quota");
        await shot(page, "web-customer-contract.png");
        await page.context().close();
    }],
]);
