/** @jsxImportSource hono/jsx/dom */
/**
 * The playground page: a Discord-like channel view of the dev guild. Pick a
 * channel and the member to act as, chat, run slash commands, click the
 * bot's buttons and selects, fill its modals; the script's log and KV data
 * sit beside the chat. Everything updates live from the server's SSE feed.
 *
 * @module
 */

import { elementById, type Scrollable, valueOf } from "./dom.ts";
import { render, useEffect, useRef, useState } from "hono/jsx/dom";
import { getJson, postJson } from "./api.ts";
import { Composer, type InvokedOption, type Suggestion } from "./composer.tsx";
import type { Names } from "./markdown.tsx";
import { type ApiMessage, type Component, MessageView } from "./message.tsx";
import { ModalView } from "./modal.tsx";
import { KvPane, LogPane } from "./panes.tsx";
import type { KvStoreView, LogEntry, OpenModal, PlaygroundWorld } from "./types.ts";
import { errorMessage } from "../../../shared/error_message.ts";

type FeedEvent =
  | { type: "messages"; channelId?: string }
  | { type: "commands" }
  | { type: "log"; line: LogEntry }
  | { type: "deploy"; result: PlaygroundWorld["deploy"] }
  | ({ type: "modal" } & OpenModal);

function App() {
  const [world, setWorld] = useState<PlaygroundWorld | null>(null);
  const [channelId, setChannelId] = useState("");
  const [userId, setUserId] = useState("");
  const [messages, setMessages] = useState<ApiMessage[]>([]);
  const [logs, setLogs] = useState<LogEntry[]>([]);
  const [kv, setKv] = useState<KvStoreView[]>([]);
  const [modal, setModal] = useState<OpenModal | null>(null);
  const [error, setError] = useState("");
  const [live, setLive] = useState(false);
  const current = useRef({ channelId: "", userId: "" });
  const listEnd = useRef<Scrollable | null>(null);
  const kvTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const loadWorld = async () => {
    const next = await getJson<PlaygroundWorld>("/api/world");
    setWorld(next);
    return next;
  };
  const loadMessages = async (id = current.current.channelId) => {
    if (!id) return;
    const viewer = encodeURIComponent(current.current.userId);
    const list = await getJson<ApiMessage[]>(`/api/channels/${id}/messages?viewer=${viewer}`);
    if (id === current.current.channelId) setMessages(list);
  };
  const loadKv = () => {
    clearTimeout(kvTimer.current);
    kvTimer.current = setTimeout(() => {
      getJson<KvStoreView[]>("/api/kv").then(setKv).catch(() => {});
    }, 150);
  };
  const report = (e: unknown) => setError(errorMessage(e));

  useEffect(() => {
    (async () => {
      const w = await loadWorld();
      const first = w.channels[0]?.id ?? "";
      const member = w.members[w.members.length - 1]?.id ?? "";
      current.current = { channelId: first, userId: member };
      setChannelId(first);
      setUserId(member);
      await loadMessages(first);
      setLogs(await getJson<LogEntry[]>("/api/logs"));
      loadKv();
    })().catch(report);
    const events = new EventSource("/api/events");
    events.addEventListener("hello", () => setLive(true));
    events.onerror = () => setLive(false);
    events.onmessage = (message) => {
      const event = JSON.parse(message.data) as FeedEvent;
      switch (event.type) {
        case "messages":
          if (!event.channelId || event.channelId === current.current.channelId) {
            loadMessages().catch(report);
          }
          loadKv();
          break;
        case "commands":
          loadWorld().catch(report);
          break;
        case "log":
          setLogs((lines) => [...lines.slice(-499), event.line]);
          loadKv();
          break;
        case "deploy":
          loadWorld().catch(report);
          loadMessages().catch(report);
          break;
        case "modal":
          if (event.userId === current.current.userId) setModal(event);
          break;
      }
    };
    return () => events.close();
  }, []);

  useEffect(() => {
    listEnd.current?.scrollIntoView({ block: "end" });
  }, [messages.length, channelId]);

  if (!world) {
    return <p class="booting">{error || "Loading the playground…"}</p>;
  }

  const names: Names = {
    user: (id) =>
      world.members.find((m) => m.id === id)?.name ??
        (id === world.botUser.id ? world.botUser.name : id),
    role: (id) => world.roles.find((r) => r.id === id)?.name ?? id,
    channel: (id) => world.channels.find((c) => c.id === id)?.name ?? id,
  };
  const channel = world.channels.find((c) => c.id === channelId);
  const act = (promise: Promise<unknown>) => {
    setError("");
    promise.catch(report);
  };
  const componentActions = {
    invoke(message: ApiMessage, component: Component, values?: string[]) {
      act(postJson("/api/component", {
        channelId: message.channel_id,
        messageId: message.id,
        userId: current.current.userId,
        customId: component.custom_id,
        componentType: component.type,
        values,
      }));
    },
    react(message: ApiMessage, emoji: string) {
      act(postJson("/api/reactions", {
        channelId: message.channel_id,
        messageId: message.id,
        userId: current.current.userId,
        emoji,
      }));
    },
    messageCommands: world.contextMenus.filter((c) => c.type === 3),
    runMessageCommand(message: ApiMessage, commandId: string) {
      act(postJson("/api/context-menu", {
        channelId: message.channel_id,
        userId: current.current.userId,
        commandId,
        targetId: message.id,
      }));
    },
    choices(type: number) {
      if (type === 6) return world.members.map((m) => ({ label: m.name, value: m.id }));
      if (type === 7) return world.channels.map((c) => ({ label: `#${c.name}`, value: c.id }));
      if (type === 8) return world.roles.map((r) => ({ label: `@${r.name}`, value: r.id }));
      return [
        ...world.members.map((m) => ({ label: m.name, value: m.id })),
        ...world.roles.map((r) => ({ label: `@${r.name}`, value: r.id })),
      ];
    },
  };
  const deploy = world.deploy;

  return (
    <div class="layout">
      <nav class="sidebar">
        <div class="guild-name">{world.guild.name}</div>
        <div class="section-label">Text channels</div>
        {world.channels.map((c) => (
          <button
            type="button"
            class={c.id === channelId ? "channel active" : "channel"}
            data-testid={`channel-${c.name}`}
            onClick={() => {
              current.current.channelId = c.id;
              setChannelId(c.id);
              setMessages([]);
              loadMessages(c.id).catch(report);
            }}
          >
            # {c.name}
          </button>
        ))}
        <div class="section-label">Acting as</div>
        <select
          class="member-picker"
          data-testid="member-picker"
          onChange={(e: Event) => {
            const id = valueOf(e);
            current.current.userId = id;
            setUserId(id);
            loadMessages().catch(report);
          }}
        >
          {world.members.map((m) => (
            <option value={m.id} selected={m.id === userId}>
              {m.name} {m.roles.length ? `(${m.roles.join(", ")})` : ""}
            </option>
          ))}
        </select>
        {world.contextMenus.some((c) => c.type === 2)
          ? <div class="section-label">Apps on members</div>
          : null}
        {world.contextMenus.filter((c) => c.type === 2).flatMap((command) =>
          world.members.map((m) => (
            <button
              type="button"
              class="channel"
              data-testid="user-app"
              onClick={() =>
                act(postJson("/api/context-menu", {
                  channelId,
                  userId,
                  commandId: command.id,
                  targetId: m.id,
                }))}
            >
              {command.name} → {m.name}
            </button>
          ))
        )}
        <div class="script">
          <div class="section-label">Script</div>
          <div class="entry">{world.entry}</div>
          <div
            class={deploy?.ok ? "deploy ok" : deploy ? "deploy failed" : "deploy"}
            data-testid="deploy-status"
          >
            {deploy ? (deploy.ok ? `r${deploy.revision} live` : "deploy failed") : "not deployed"}
          </div>
          <div class={live ? "live on" : "live"}>{live ? "● live" : "○ reconnecting"}</div>
        </div>
      </nav>
      <main class="chat">
        <header class="chat-header"># {channel?.name ?? ""}</header>
        {deploy && !deploy.ok
          ? <pre class="banner error" data-testid="deploy-error">{deploy.error}</pre>
          : null}
        <div class="messages" data-testid="messages">
          {messages.length === 0
            ? <div class="empty">No messages in #{channel?.name} yet. Say something!</div>
            : null}
          {messages.map((m) => (
            <MessageView
              message={m}
              names={names}
              actions={componentActions}
            />
          ))}
          <div ref={listEnd} />
        </div>
        {error
          ? (
            <div class="banner error" data-testid="error" onClick={() => setError("")}>
              {error}
            </div>
          )
          : null}
        <Composer
          world={world}
          channelName={channel?.name ?? ""}
          onSend={(content) =>
            postJson("/api/messages", { channelId, userId, content }).then(() => {}).catch(report)}
          onAutocomplete={(name: string, options: InvokedOption[]) =>
            postJson<{ choices: Suggestion[] }>("/api/autocomplete", {
              channelId,
              userId,
              name,
              options,
            }).then((answer) => answer.choices)}
          onSlash={(name: string, options: InvokedOption[]) =>
            postJson("/api/slash", { channelId, userId, name, options }).then(() => {}).catch(
              report,
            )}
        />
      </main>
      <aside class="side">
        <section class="pane">
          <header class="pane-title">Logs</header>
          <LogPane lines={logs} />
        </section>
        <section class="pane">
          <header class="pane-title">
            KV
            <button type="button" class="refresh" data-testid="kv-refresh" onClick={loadKv}>
              ↻
            </button>
          </header>
          <KvPane stores={kv} />
        </section>
      </aside>
      {modal
        ? (
          <ModalView
            open={modal}
            onClose={() => setModal(null)}
            onSubmit={async (values) => {
              try {
                await postJson("/api/modal", { interactionId: modal.interactionId, values });
                setModal(null);
              } catch (e) {
                report(e);
              }
            }}
          />
        )
        : null}
    </div>
  );
}

const root = elementById("app") as Parameters<typeof render>[1] | null;
if (root) {
  (root as unknown as { textContent: string }).textContent = "";
  render(<App />, root);
}
