// Sign-in screens: log in, register, verify the mailed code, resend it, reset a forgotten password.
import { Api, session } from "./api.js";
import { clear, h, nextId } from "./dom.js";
import { hideNotice, showError, showInfo } from "./notice.js";

function field(label, attrs) {
  const id = nextId("auth");
  const input = h("input", { id, ...attrs });
  return { input, el: h("div", { class: "field" }, h("label", { for: id, text: label }), input) };
}

export function createAuth(root, { onLoggedIn }) {
  const notice = h("div", { class: "notice-area", hidden: true });
  const body = h("div", { class: "auth-body", role: "tabpanel", id: "auth-panel" });
  const tabs = h("div", { class: "auth-tabs", role: "tablist", "aria-label": "Account" });
  const views = {};
  let email = "";

  function form(name, title, fields, submitText, onSubmit, extra = []) {
    const btn = h("button", { type: "submit", class: "primary", text: submitText });
    const f = h("form", { class: "auth-form", "aria-label": title, dataset: { view: name } },
      h("h2", { text: title }), fields.map((x) => x.el), h("div", { class: "actions" }, btn, extra));
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!f.reportValidity()) return;
      btn.disabled = true;
      try {
        await onSubmit();
      } catch (err) {
        showError(notice, err);
      } finally {
        btn.disabled = false;
      }
    });
    return f;
  }

  const loginEmail = field("E-mail", { type: "email", name: "email", autocomplete: "username", required: true });
  const loginPw = field("Password", { type: "password", name: "password", autocomplete: "current-password", required: true });
  views.login = form("login", "Log in", [loginEmail, loginPw], "Log in", async () => {
    email = loginEmail.input.value.trim();
    const res = await Api.login(email, loginPw.input.value);
    session.set(res.access_token, email);
    loginPw.input.value = "";
    hideNotice(notice);
    onLoggedIn();
  }, [h("button", { type: "button", class: "link", text: "Forgot password?", onclick: () => show("forgot") })]);

  const regName = field("Full name (optional)", { type: "text", name: "full_name", autocomplete: "name" });
  const regEmail = field("E-mail", { type: "email", name: "email", autocomplete: "email", required: true });
  const regPw = field("Password", { type: "password", name: "password", autocomplete: "new-password", required: true,
    minlength: "8" });
  views.register = form("register", "Create an account", [regName, regEmail, regPw], "Register", async () => {
    email = regEmail.input.value.trim();
    await Api.register(email, regPw.input.value, regName.input.value.trim());
    regPw.input.value = "";
    show("verify");
    showInfo(notice, `We sent a verification code to ${email}. Enter it below.`);
  });

  const verEmail = field("E-mail", { type: "email", name: "email", autocomplete: "email", required: true });
  const verCode = field("Verification code", { type: "text", name: "code", inputmode: "numeric",
    autocomplete: "one-time-code", required: true });
  const resend = h("button", { type: "button", class: "link", text: "Send a new code", onclick: async () => {
    try {
      if (!verEmail.input.reportValidity()) return;
      await Api.resendCode(verEmail.input.value.trim());
      showInfo(notice, "If the account exists and is not verified yet, a new code is on its way.");
    } catch (err) {
      showError(notice, err);
    }
  } });
  views.verify = form("verify", "Verify your e-mail", [verEmail, verCode], "Verify", async () => {
    email = verEmail.input.value.trim();
    await Api.verify(email, verCode.input.value.trim());
    verCode.input.value = "";
    show("login");
    showInfo(notice, "Your e-mail is verified. You can log in now.");
  }, [resend]);

  const fgEmail = field("E-mail", { type: "email", name: "email", autocomplete: "email", required: true });
  views.forgot = form("forgot", "Forgot password", [fgEmail], "Send a reset code", async () => {
    email = fgEmail.input.value.trim();
    await Api.forgotPassword(email);
    show("reset");
    showInfo(notice, "If the account exists, a reset code is on its way.");
  });

  const rsEmail = field("E-mail", { type: "email", name: "email", autocomplete: "email", required: true });
  const rsCode = field("Reset code", { type: "text", name: "code", inputmode: "numeric", autocomplete: "one-time-code",
    required: true });
  const rsPw = field("New password", { type: "password", name: "new_password", autocomplete: "new-password",
    required: true, minlength: "8" });
  views.reset = form("reset", "Choose a new password", [rsEmail, rsCode, rsPw], "Set password", async () => {
    email = rsEmail.input.value.trim();
    await Api.resetPassword(email, rsCode.input.value.trim(), rsPw.input.value);
    rsPw.input.value = "";
    show("login");
    showInfo(notice, "Your password is changed. Log in with the new one.");
  });

  const tabButtons = {};
  for (const [name, text] of [["login", "Log in"], ["register", "Register"], ["verify", "Verify"]]) {
    tabButtons[name] = h("button", { type: "button", role: "tab", id: `tab-${name}`, text, "aria-controls": "auth-panel",
      onclick: () => {
        hideNotice(notice);
        show(name);
      } });
    tabs.append(tabButtons[name]);
  }
  tabs.addEventListener("keydown", (e) => {
    const names = Object.keys(tabButtons);
    const cur = names.findIndex((n) => tabButtons[n] === document.activeElement);
    if (cur < 0 || !["ArrowLeft", "ArrowRight"].includes(e.key)) return;
    const next = names[(cur + (e.key === "ArrowRight" ? 1 : names.length - 1)) % names.length];
    tabButtons[next].click();
    tabButtons[next].focus(); // arrow keys keep focus on the tabs (a click moves it into the form)
  });

  function show(name) {
    for (const [n, b] of Object.entries(tabButtons)) {
      b.setAttribute("aria-selected", String(n === name));
      b.tabIndex = n === name ? 0 : -1;
    }
    const tab = tabButtons[name] || tabButtons.login;
    body.setAttribute("aria-labelledby", tab.id);
    for (const input of [loginEmail, verEmail, fgEmail, rsEmail]) if (email && !input.input.value) input.input.value = email;
    clear(body).append(views[name]);
    const first = [...views[name].querySelectorAll("input")].find((i) => !i.value) || views[name].querySelector("input");
    first?.focus();
  }

  clear(root).append(h("div", { class: "auth-card" }, tabs, notice, body));
  return {
    show(name = "login") {
      hideNotice(notice);
      show(name);
    },
    message(text) {
      showInfo(notice, text);
    },
  };
}
