/**
 * Small controls the views share. `confirmButton` asks for a second click
 * instead of a confirm() dialog: a native dialog blocks the page (and the
 * live updates), and a destructive action should still take two clicks.
 */

import { h } from "./dom.ts";

const CONFIRM_MS = 5_000;

export function confirmButton(label: string, confirmLabel: string, className: string, action: () => Promise<unknown>): HTMLButtonElement {
  let armed: ReturnType<typeof setTimeout> | undefined;
  const button = h("button", {
    type: "button",
    class: className,
    onclick: async () => {
      if (armed === undefined) {
        button.textContent = confirmLabel;
        button.classList.add("armed");
        armed = setTimeout(disarm, CONFIRM_MS);
        return;
      }
      disarm();
      button.disabled = true;
      try {
        await action();
      } finally {
        button.disabled = false;
      }
    },
  });
  const disarm = () => {
    clearTimeout(armed);
    armed = undefined;
    button.textContent = label;
    button.classList.remove("armed");
  };
  button.textContent = label;
  return button;
}

/** A button that runs `action` once per click, disabled while it runs. */
export function actionButton(label: string, className: string, action: () => Promise<unknown>): HTMLButtonElement {
  const button: HTMLButtonElement = h("button", {
    type: "button",
    class: className,
    onclick: async () => {
      button.disabled = true;
      try {
        await action();
      } finally {
        button.disabled = false;
      }
    },
  }, label);
  return button;
}
