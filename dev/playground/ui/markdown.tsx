/** @jsxImportSource hono/jsx/dom */
/**
 * The subset of Discord markdown a bot's messages commonly use: code
 * blocks, inline code, bold, italic, underline, strikethrough, headings,
 * links and mentions. Text is never inserted as HTML.
 *
 * @module
 */

import type { Child } from "hono/jsx";

/** Names for mentions: users, roles and channels by id. */
export interface Names {
  user(id: string): string;
  role(id: string): string;
  channel(id: string): string;
}

const INLINE =
  /(`[^`]+`)|(\*\*[^*]+\*\*)|(__[^_]+__)|(\*[^*]+\*|_[^_]+_)|(~~[^~]+~~)|(<@!?\d+>)|(<@&\d+>)|(<#\d+>)|(https?:\/\/[^\s<]+)/;

function inline(text: string, names: Names): Child[] {
  const out: Child[] = [];
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const token = m[0];
    if (m[1]) out.push(<code class="inline">{token.slice(1, -1)}</code>);
    else if (m[2]) out.push(<strong>{inline(token.slice(2, -2), names)}</strong>);
    else if (m[3]) out.push(<u>{inline(token.slice(2, -2), names)}</u>);
    else if (m[4]) out.push(<em>{inline(token.slice(1, -1), names)}</em>);
    else if (m[5]) out.push(<s>{inline(token.slice(2, -2), names)}</s>);
    else if (m[6]) out.push(<span class="mention">@{names.user(token.replace(/\D/g, ""))}</span>);
    else if (m[7]) out.push(<span class="mention">@{names.role(token.replace(/\D/g, ""))}</span>);
    else if (m[8]) {
      out.push(<span class="mention">#{names.channel(token.replace(/\D/g, ""))}</span>);
    } else out.push(<a href={token} target="_blank" rel="noreferrer">{token}</a>);
    rest = rest.slice(m.index + token.length);
  }
  return out;
}

/** Renders Discord markdown as elements. */
export function Markdown(props: { text: string; names: Names }) {
  const blocks = props.text.split(/(```[\s\S]*?```)/);
  return (
    <div class="markdown">
      {blocks.map((block, b) => {
        if (block.startsWith("```") && block.endsWith("```") && block.length >= 6) {
          return <pre key={b}>{block.slice(3, -3).replace(/^\w*\n/, "")}</pre>;
        }
        return block.split("\n").map((line, i, lines) => {
          const heading = /^(#{1,3}) (.*)$/.exec(line);
          if (heading) {
            return (
              <div key={i} class={`h${heading[1].length}`}>{inline(heading[2], props.names)}</div>
            );
          }
          const quote = /^> (.*)$/.exec(line);
          if (quote) return <div key={i} class="quote">{inline(quote[1], props.names)}</div>;
          return [...inline(line, props.names), i < lines.length - 1 ? <br key={i} /> : null];
        });
      })}
    </div>
  );
}
