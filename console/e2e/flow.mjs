// Browser walk through the duplex console: the seed's console steps for
// two-way SMS (spec/two-way-sms.txt), for both destination types, in
// headless Chromium. Run by TestBrowser (internal/console), which starts the
// real server and an SNS subscriber, and passes:
//
//   DUPLEX_URL   the server, e.g. http://127.0.0.1:3875
//   CONTROL_URL  the test's control endpoint (subscribe, wait, fix-trust)
//   ARTIFACTS    folder for the screenshots (console/e2e/artifacts)
//   CHROMIUM     the browser (default /usr/bin/chromium)
//
// Waits are for selectors and texts with timeouts; nothing is timed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const base = process.env.DUPLEX_URL;
const control = process.env.CONTROL_URL;
const artifacts = process.env.ARTIFACTS || "artifacts";
const customer = process.env.CUSTOMER || "+14255550182";
if (!base || !control) {
  console.error("DUPLEX_URL and CONTROL_URL are required");
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--headless", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.setDefaultTimeout(30_000);
page.on("dialog", (d) => d.accept()); // window.confirm before releasing
page.on("pageerror", (e) => { console.error("page error:", e.message); failures.push(e.message); });
const failures = [];

let step = 0;
async function shot(name) {
  step++;
  const file = join(artifacts, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`step ${step}: ${name}`);
}

async function ctl(path, body) {
  const res = await fetch(control + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

function expect(cond, what) {
  if (!cond) throw new Error("expectation failed: " + what);
}

const nav = () => page.getByRole("navigation", { name: "Console" });
const tabs = () => page.getByRole("navigation", { name: "Phone number" });

async function openNumber(number) {
  await nav().getByRole("link", { name: "Phone numbers" }).click();
  await page.getByRole("link", { name: number, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: number }).waitFor();
}

async function editTwoWay(number) {
  await openNumber(number);
  await tabs().getByRole("link", { name: "Two-way SMS" }).click();
  await page.getByRole("link", { name: "Edit settings" }).click();
  await page.getByRole("heading", { level: 1, name: "Edit settings" }).waitFor();
}

async function textFromSimulator(number, body) {
  await nav().getByRole("link", { name: "Phone simulator" }).click();
  await page.getByLabel("Customer phone number").fill(customer);
  await page.getByLabel("Your phone number").selectOption({ value: number });
  await page.getByRole("button", { name: "Open conversation" }).click();
  await page.getByLabel("Message").fill(body);
  await page.getByRole("button", { name: "Send" }).click();
  // The script posts in the background and the thread refreshes itself.
  await page.locator("#thread .msg-customer", { hasText: body }).first().waitFor();
}

try {
  // Sign in (the dev account's key and secret are pre-filled).
  await page.goto(base + "/console/");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  expect(await page.getByLabel("Access key ID").inputValue() === "test", "dev access key pre-filled");
  await shot("sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();

  // Configurations → Phone numbers; request a number.
  await nav().getByText("Configurations").waitFor();
  await nav().getByRole("link", { name: "Phone numbers" }).click();
  await page.getByRole("heading", { level: 1, name: "Phone numbers" }).waitFor();
  await shot("phone-numbers");
  await page.getByLabel("Country").selectOption("US");
  await page.getByLabel("Number type").selectOption("SIMULATOR");
  await page.getByLabel("Message type").selectOption("TRANSACTIONAL");
  await page.getByLabel("SMS", { exact: true }).check();
  await page.getByRole("button", { name: "Request phone number" }).click();
  await page.getByText("Phone number requested.").waitFor();
  const number = (await page.locator("#numbers tbody tr a").first().textContent()).trim();
  expect(/^\+1\d{10}$/.test(number), "a US number: " + number);
  console.log("number", number);
  await shot("number-requested");

  // Open it; Two-way SMS tab; Edit settings.
  await page.getByRole("link", { name: number, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: number }).waitFor();
  await shot("number-details");
  await tabs().getByRole("link", { name: "Two-way SMS" }).click();
  await page.getByText("Disabled").first().waitFor();
  await shot("two-way-tab");
  await page.getByRole("link", { name: "Edit settings" }).click();
  await shot("edit-settings");

  // Enabling two-way without a destination: the API's validation error
  // appears next to the Incoming messages destination dropdown.
  await page.getByLabel("Enable two-way message").check();
  await page.getByLabel("Amazon SNS", { exact: true }).check();
  await page.getByLabel("Existing Amazon SNS topic").check();
  await page.getByLabel("Use Amazon SNS topic policies").check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.locator("#err-TwoWayChannelArn", { hasText: "required when TwoWayEnabled is true" }).waitFor();
  expect(await page.getByLabel("Incoming messages destination").getAttribute("aria-invalid") === "true", "dropdown marked invalid");
  await shot("edit-settings-validation-error");

  // Enable two-way message → Amazon SNS → New Amazon SNS topic → Use
  // Amazon SNS topic policies → Save changes.
  await page.getByLabel("Enable two-way message").check();
  await page.getByLabel("Amazon SNS", { exact: true }).check();
  await page.getByLabel("New Amazon SNS topic").check();
  await page.getByLabel("Use Amazon SNS topic policies").check();
  expect(await page.getByLabel("Existing IAM roles").isHidden(), "the role dropdown hides with topic policies");
  await shot("edit-settings-new-topic");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Two-way settings saved.").waitFor();
  const topicArn = (await page.locator("#twoway-channel").textContent()).trim();
  expect(topicArn.startsWith("arn:aws:sns:"), "topic ARN shown: " + topicArn);
  expect((await page.locator("#twoway-role").textContent()).includes("Amazon SNS topic policies"), "topic policies shown");
  await shot("two-way-saved-sns");

  // The test's HTTP endpoint subscribes to the new topic (and confirms).
  await ctl("/control/subscribe", { topicArn });

  // Text in from the phone simulator; the subscriber gets it.
  const first = "Hello from the phone simulator";
  await textFromSimulator(number, first);
  await shot("simulator-sent");
  const got = await ctl("/control/wait", { body: first });
  console.log("subscriber received", got.message);
  await page.locator("#thread .msg-customer", { hasText: first }).filter({ hasText: "DELIVERED" }).waitFor();
  // HELP: the automatic reply appears in the conversation by itself.
  await page.getByLabel("Message").fill("HELP");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator("#thread .msg-app").first().waitFor();
  await shot("simulator-help-reply");

  // A failure, explained and redriven: an existing IAM role whose trust
  // policy is for another account.
  await editTwoWay(number);
  await page.getByLabel("Existing Amazon SNS topic").check();
  await page.getByLabel("Incoming messages destination").selectOption(topicArn);
  await page.getByLabel("Choose existing IAM role").check();
  await page.getByLabel("Existing IAM roles").selectOption({ label: "SMSVoiceTwoWay" });
  await shot("edit-settings-existing-role");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Two-way settings saved.").waitFor();
  expect((await page.locator("#twoway-role").textContent()).includes("role/SMSVoiceTwoWay"), "role shown");
  await shot("two-way-saved-role");

  const second = "Is my order ready?";
  await textFromSimulator(number, second);
  await openNumber(number);
  await tabs().getByRole("link", { name: "Inbound activity" }).click();
  const row = page.locator("#inbound tr", { hasText: second });
  await row.getByText("could not assume").waitFor();
  await row.getByText(/aws:SourceAccount/).waitFor();
  await shot("inbound-failure-explained");

  // Fix the trust policy through the IAM API, right after an automatic
  // retry (so the next one is seconds away), then press Redrive.
  const attempts = async () => Number((await row.locator("td").nth(5).textContent()).trim());
  const seen = await attempts();
  await page.waitForFunction(([sel, n]) => {
    const r = [...document.querySelectorAll("#inbound tr")].find((tr) => tr.textContent.includes(sel));
    return r && Number(r.querySelectorAll("td")[5].textContent.trim()) > n;
  }, [second, seen], { timeout: 60_000 });
  await ctl("/control/fix-trust", {});
  const redrive = row.getByRole("button", { name: /Redrive/ });
  if (await redrive.count()) {
    await redrive.click();
    await page.getByText(/queued for delivery again|already delivered/).waitFor();
  } else {
    console.log("note: an automatic retry delivered the message before Redrive was pressed");
  }
  await page.locator("#inbound tr", { hasText: second }).getByText("DELIVERED").waitFor();
  await shot("inbound-redriven-delivered");
  await ctl("/control/wait", { body: second });

  // Amazon Connect: create an instance; save Amazon Connect as the
  // destination; in the window that opens, import the number into the
  // instance. A text then becomes a chat that an agent answers from the
  // agent workspace, and the answer reaches the customer as an SMS.
  await nav().getByRole("link", { name: "Agent workspace" }).click();
  await page.getByRole("heading", { level: 1, name: "Amazon Connect" }).waitFor();
  await page.getByLabel("Instance alias").fill("support");
  await page.getByRole("button", { name: "Create instance" }).click();
  await page.getByText("Amazon Connect instance created.").waitFor();
  await shot("connect-instance-created");

  await editTwoWay(number);
  await page.getByLabel("Amazon Connect", { exact: true }).check();
  expect(await page.getByLabel("Use Amazon SNS topic policies").isHidden(), "topic policies hide for Connect");
  await page.getByLabel("Choose existing IAM role").check();
  await page.getByLabel("Existing IAM roles").selectOption({ label: "SMSVoiceConnect" });
  await shot("edit-settings-connect");
  await page.getByRole("button", { name: "Save changes" }).click();
  const win = page.getByRole("dialog", { name: "Import phone number to Amazon Connect" });
  await win.waitFor();
  await win.getByLabel("Incoming messages destination").selectOption({ label: "support (ACTIVE)" });
  await shot("connect-import-window");
  await win.getByRole("button", { name: "Import phone number" }).click();
  await page.getByText(/Phone number imported to Amazon Connect/).waitFor();
  expect((await page.locator("#twoway-channel").textContent()).includes("connect.us-east-1.amazonaws.com"), "Connect channel shown");
  for (let i = 0; !(await page.locator("#twoway-connect").textContent()).includes("CLAIMED"); i++) {
    expect(i < 200, "the number becomes CLAIMED");
    await page.reload();
  }
  await shot("two-way-saved-connect");

  const question = "Can I change my delivery address?";
  await textFromSimulator(number, question);
  await nav().getByRole("link", { name: "Agent workspace" }).click();
  await page.getByRole("link", { name: "support", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Agent workspace" }).waitFor();
  await page.locator("#chats").getByRole("link", { name: customer }).click();
  await page.locator("#transcript .msg", { hasText: question }).waitFor();
  const answer = "Yes, send me the new address.";
  await page.getByLabel("Reply", { exact: true }).fill(answer);
  await page.getByRole("button", { name: "Send reply" }).click();
  await page.locator("#transcript .msg", { hasText: answer }).waitFor();
  await shot("agent-workspace-reply");
  const agentURL = page.url();

  // The customer gets the answer in the phone simulator.
  await nav().getByRole("link", { name: "Phone simulator" }).click();
  await page.getByLabel("Customer phone number").fill(customer);
  await page.getByLabel("Your phone number").selectOption({ value: number });
  await page.getByRole("button", { name: "Open conversation" }).click();
  await page.locator("#thread .msg-app", { hasText: answer }).waitFor();
  await shot("simulator-agent-answer");

  // The agent ends the chat.
  await page.goto(agentURL);
  await page.getByRole("button", { name: "End chat" }).click();
  await page.getByText("The chat ended.").waitFor();
  await shot("agent-chat-ended");

  // STOP from the simulator: the opt-out reply appears; the opt-out tab
  // lists the customer, who is then removed.
  await textFromSimulator(number, "STOP");
  await page.locator("#thread .msg-app", { hasText: "You have been unsubscribed" }).waitFor();
  await shot("simulator-stop-reply");
  await openNumber(number);
  await tabs().getByRole("link", { name: "Opt-outs" }).click();
  await page.getByRole("cell", { name: customer, exact: true }).waitFor();
  await shot("opt-outs");
  await page.getByRole("button", { name: `Remove ${customer} from the opt-out list` }).click();
  await page.getByText("The number was removed from the opt-out list.").waitFor();

  // Keywords: add one, see it, delete it.
  await tabs().getByRole("link", { name: "Keywords" }).click();
  await page.getByLabel("Keyword", { exact: true }).fill("hours");
  await page.getByLabel("Response message").fill("We are open 9 to 5.");
  await page.getByRole("button", { name: "Save keyword" }).click();
  await page.getByRole("cell", { name: "HOURS", exact: true }).waitFor();
  await shot("keywords");
  await page.getByRole("button", { name: "Delete keyword HOURS" }).click();
  await page.getByText("Keyword deleted.").waitFor();

  expect(failures.length === 0, "no script errors on the pages: " + failures.join("; "));
  console.log("flow complete");
  console.log(JSON.stringify({ number, topicArn }));
  await browser.close();
} catch (err) {
  console.error("FAILED:", err && err.stack || err);
  try {
    await page.screenshot({ path: join(artifacts, "failure.png"), fullPage: true });
    console.error("page at failure:", page.url());
  } catch (e) { /* ignore */ }
  await browser.close();
  process.exit(1);
}
