/** @jsxImportSource hono/jsx/dom */
/**
 * A modal the bot opened: its text inputs (in action rows, or in Components
 * V2 labels) as a form; Submit sends a MODAL_SUBMIT through the emulator.
 *
 * @module
 */

import { valueOf } from "./dom.ts";
import { useState } from "hono/jsx/dom";
import type { OpenModal } from "./types.ts";

interface TextInput {
  custom_id: string;
  label: string;
  style: number;
  placeholder?: string;
  required: boolean;
  value?: string;
}

type Node = Record<string, unknown>;

function inputsOf(components: unknown, label?: string): TextInput[] {
  if (Array.isArray(components)) return components.flatMap((c) => inputsOf(c, label));
  if (typeof components !== "object" || components === null) return [];
  const c = components as Node;
  if (c.type === 4 && typeof c.custom_id === "string") {
    return [{
      custom_id: c.custom_id,
      label: String(c.label ?? label ?? c.custom_id),
      style: Number(c.style ?? 1),
      placeholder: typeof c.placeholder === "string" ? c.placeholder : undefined,
      required: c.required !== false,
      value: typeof c.value === "string" ? c.value : undefined,
    }];
  }
  const own = c.type === 18 && typeof c.label === "string" ? c.label : label;
  return [...inputsOf(c.components, own), ...inputsOf(c.component, own)];
}

/** The open modal, over the channel. */
export function ModalView(
  props: {
    open: OpenModal;
    onSubmit: (values: Record<string, string>) => Promise<void>;
    onClose: () => void;
  },
) {
  const inputs = inputsOf(props.open.modal.components);
  const [values, setValues] = useState<Record<string, string>>(
    Object.fromEntries(inputs.map((i) => [i.custom_id, i.value ?? ""])),
  );
  const missing = inputs.filter((i) => i.required && !values[i.custom_id]);
  return (
    <div class="overlay">
      <form
        class="modal"
        data-testid="modal"
        onSubmit={async (e: Event) => {
          e.preventDefault();
          if (!missing.length) await props.onSubmit(values);
        }}
      >
        <div class="modal-title">{props.open.modal.title}</div>
        {inputs.map((input) => (
          <label class="option-field">
            <span class="option-name">
              {input.label}
              {input.required ? <span class="required">*</span> : null}
            </span>
            {input.style === 2
              ? (
                <textarea
                  name={input.custom_id}
                  placeholder={input.placeholder}
                  onInput={(e: Event) =>
                    setValues({
                      ...values,
                      [input.custom_id]: valueOf(e),
                    })}
                >
                  {values[input.custom_id]}
                </textarea>
              )
              : (
                <input
                  name={input.custom_id}
                  placeholder={input.placeholder}
                  value={values[input.custom_id]}
                  onInput={(e: Event) =>
                    setValues({
                      ...values,
                      [input.custom_id]: valueOf(e),
                    })}
                />
              )}
          </label>
        ))}
        <div class="form-actions">
          <button type="button" class="button secondary" onClick={props.onClose}>Cancel</button>
          <button type="submit" class="button primary" disabled={missing.length > 0}>Submit</button>
        </div>
      </form>
    </div>
  );
}
