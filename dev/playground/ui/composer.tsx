/** @jsxImportSource hono/jsx/dom */
/**
 * The message box. Plain text is sent as a message; typing `/` lists the
 * registered slash commands, and picking one opens a form built from its
 * options (choices become pickers; users, channels and roles pick from the
 * guild; subcommands pick first).
 *
 * @module
 */

import { valueOf } from "./dom.ts";
import { useRef, useState } from "hono/jsx/dom";
import type { Command, CommandOption, PlaygroundWorld } from "./types.ts";

/** An option as an interaction carries it. */
export interface InvokedOption {
  name: string;
  type: number;
  value?: string | number | boolean;
  options?: InvokedOption[];
  /** The option being typed (autocomplete requests only). */
  focused?: boolean;
}

/** A suggestion the script returned for an autocomplete option. */
export interface Suggestion {
  name: string;
  value: string | number;
}

const TYPE_NAMES: Record<number, string> = {
  3: "text",
  4: "integer",
  5: "true/false",
  6: "user",
  7: "channel",
  8: "role",
  9: "user or role",
  10: "number",
  11: "attachment",
};

function OptionField(
  props: {
    option: CommandOption;
    world: PlaygroundWorld;
    value: string;
    onValue: (value: string) => void;
    /** Autocomplete options: called as the user types. */
    onType?: (value: string) => void;
    suggestions?: Suggestion[];
  },
) {
  const { option, world } = props;
  const pick = (choices: { label: string; value: string }[]) => (
    <select
      name={option.name}
      onChange={(e: Event) => props.onValue(valueOf(e))}
    >
      <option value="">—</option>
      {choices.map((c) => (
        <option value={c.value} selected={c.value === props.value}>{c.label}</option>
      ))}
    </select>
  );
  let field;
  if (option.choices?.length) {
    field = pick(option.choices.map((c) => ({ label: c.name, value: String(c.value) })));
  } else if (option.type === 5) {
    field = pick([{ label: "True", value: "true" }, { label: "False", value: "false" }]);
  } else if (option.type === 6 || option.type === 9) {
    field = pick(world.members.map((m) => ({ label: m.name, value: m.id })));
  } else if (option.type === 7) {
    field = pick(world.channels.map((c) => ({ label: `#${c.name}`, value: c.id })));
  } else if (option.type === 8) {
    field = pick(world.roles.map((r) => ({ label: `@${r.name}`, value: r.id })));
  } else {
    field = (
      <input
        name={option.name}
        type={option.type === 4 || option.type === 10 ? "number" : "text"}
        step={option.type === 10 ? "any" : "1"}
        value={props.value}
        autocomplete="off"
        onInput={(e: Event) => {
          props.onValue(valueOf(e));
          props.onType?.(valueOf(e));
        }}
      />
    );
  }
  return (
    <label class="option-field">
      <span class="option-name">
        {option.name}
        {option.required ? <span class="required">*</span> : null}
        <span class="option-type">{TYPE_NAMES[option.type] ?? `type ${option.type}`}</span>
      </span>
      {field}
      {props.suggestions?.length
        ? (
          <div class="autocomplete" data-testid={`suggestions-${option.name}`}>
            {props.suggestions.map((choice) => (
              <button
                type="button"
                class="suggestion"
                onClick={() => props.onValue(String(choice.value))}
              >
                {choice.name}
              </button>
            ))}
          </div>
        )
        : null}
      {option.description ? <span class="option-desc">{option.description}</span> : null}
    </label>
  );
}

function convert(option: CommandOption, text: string): string | number | boolean {
  if (option.type === 4) return parseInt(text, 10);
  if (option.type === 10) return Number(text);
  if (option.type === 5) return text === "true";
  const choice = option.choices?.find((c) => String(c.value) === text);
  return choice ? choice.value : text;
}

/** The options form of one command; calls `onRun` with the interaction's options. */
function SlashForm(
  props: {
    command: Command;
    world: PlaygroundWorld;
    onRun: (options: InvokedOption[]) => void;
    onCancel: () => void;
    onAutocomplete: (options: InvokedOption[]) => Promise<Suggestion[]>;
  },
) {
  const { command } = props;
  const [suggested, setSuggested] = useState<{ option: string; choices: Suggestion[] } | null>(
    null,
  );
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const subs = (command.options ?? []).filter((o) => o.type === 1 || o.type === 2);
  const [path, setPath] = useState<string>(subs.length ? subs[0].name : "");
  const [values, setValues] = useState<Record<string, string>>({});
  // Subcommand groups (type 2) hold subcommands; "group sub" names the leaf.
  const leaves: { label: string; group?: CommandOption; leaf: CommandOption }[] = subs.flatMap((
    s,
  ) =>
    s.type === 2
      ? (s.options ?? []).map((leaf) => ({ label: `${s.name} ${leaf.name}`, group: s, leaf }))
      : [{ label: s.name, leaf: s }]
  );
  const current = leaves.find((l) => l.label === path);
  const fields = subs.length ? current?.leaf.options ?? [] : command.options ?? [];
  const missing = fields.filter((o) => o.required && !values[o.name]);
  /** The interaction's options from the form; `focus` marks the option being typed. */
  const build = (filled: Record<string, string>, focus?: string): InvokedOption[] => {
    const given: InvokedOption[] = fields
      .filter((o) => o.name === focus || (filled[o.name] !== undefined && filled[o.name] !== ""))
      .map((o) =>
        o.name === focus
          ? { name: o.name, type: o.type, value: filled[o.name] ?? "", focused: true }
          : { name: o.name, type: o.type, value: convert(o, filled[o.name]) }
      );
    if (!current) return given;
    const leaf: InvokedOption = { name: current.leaf.name, type: 1, options: given };
    return current.group ? [{ name: current.group.name, type: 2, options: [leaf] }] : [leaf];
  };
  const submit = (e: Event) => {
    e.preventDefault();
    if (missing.length) return;
    props.onRun(build(values));
  };
  const typed = (option: CommandOption, text: string) => {
    clearTimeout(timer.current);
    const filled = { ...values, [option.name]: text };
    timer.current = setTimeout(() => {
      props.onAutocomplete(build(filled, option.name))
        .then((choices) => setSuggested({ option: option.name, choices }))
        .catch(() => setSuggested(null));
    }, 150);
  };
  return (
    <form class="slash-form" data-testid="slash-form" onSubmit={submit}>
      <div class="slash-title">
        /{command.name}
        <span class="option-desc">{command.description}</span>
      </div>
      {leaves.length
        ? (
          <select
            name="subcommand"
            onChange={(e: Event) => setPath(valueOf(e))}
          >
            {leaves.map((l) => (
              <option value={l.label} selected={l.label === path}>{l.label}</option>
            ))}
          </select>
        )
        : null}
      <div class="option-fields">
        {fields.map((o) => (
          <OptionField
            option={o}
            world={props.world}
            value={values[o.name] ?? ""}
            onValue={(v) => {
              setValues({ ...values, [o.name]: v });
              if (suggested?.option === o.name) setSuggested(null);
            }}
            onType={o.autocomplete ? (text) => typed(o, text) : undefined}
            suggestions={suggested?.option === o.name ? suggested.choices : undefined}
          />
        ))}
      </div>
      <div class="form-actions">
        <button type="button" class="button secondary" onClick={props.onCancel}>Cancel</button>
        <button
          type="submit"
          class="button primary"
          disabled={missing.length > 0}
          title={missing.length ? `required: ${missing.map((o) => o.name).join(", ")}` : ""}
        >
          Run /{command.name}
        </button>
      </div>
    </form>
  );
}

/** The composer at the bottom of the channel. */
export function Composer(
  props: {
    world: PlaygroundWorld;
    channelName: string;
    onSend: (content: string) => Promise<void>;
    onSlash: (name: string, options: InvokedOption[]) => Promise<void>;
    onAutocomplete: (name: string, options: InvokedOption[]) => Promise<Suggestion[]>;
  },
) {
  const [text, setText] = useState("");
  const [command, setCommand] = useState<Command | null>(null);
  const suggestions = text.startsWith("/") && !text.includes(" ")
    ? props.world.commands.filter((c) => c.name.startsWith(text.slice(1).toLowerCase()))
    : [];
  const choose = (c: Command) => {
    setCommand(c);
    setText("");
  };
  const run = async (c: Command, options: InvokedOption[]) => {
    setCommand(null);
    await props.onSlash(c.name, options);
  };
  const send = async (e: Event) => {
    e.preventDefault();
    const content = text.trim();
    if (!content) return;
    const exact = content.startsWith("/")
      ? props.world.commands.find((c) => c.name === content.slice(1))
      : undefined;
    if (exact) {
      if ((exact.options ?? []).length === 0) {
        setText("");
        return run(exact, []);
      }
      return choose(exact);
    }
    setText("");
    await props.onSend(content);
  };
  return (
    <div class="composer-wrap">
      {suggestions.length
        ? (
          <div class="suggestions" data-testid="suggestions">
            {suggestions.map((c) => (
              <button
                type="button"
                class="suggestion"
                onClick={() => choose(c)}
              >
                <b>/{c.name}</b> <span class="option-desc">{c.description}</span>
              </button>
            ))}
          </div>
        )
        : null}
      {command
        ? (
          <SlashForm
            command={command}
            world={props.world}
            onRun={(options) => run(command, options)}
            onCancel={() => setCommand(null)}
            onAutocomplete={(options) => props.onAutocomplete(command.name, options)}
          />
        )
        : null}
      <form class="composer" onSubmit={send}>
        <input
          data-testid="composer"
          placeholder={`Message #${props.channelName} — type / for commands`}
          value={text}
          onInput={(e: Event) => setText(valueOf(e))}
        />
      </form>
    </div>
  );
}
