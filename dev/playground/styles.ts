/**
 * The playground's stylesheet: Discord's dark theme, closely enough that a
 * message looks in the playground as it will in a real client.
 *
 * @module
 */

export const STYLES = `
:root { color-scheme: dark; --bg: #313338; --side: #2b2d31; --deep: #1e1f22; --text: #dbdee1;
  --muted: #949ba4; --blurple: #5865f2; --green: #248046; --red: #da373c; --grey: #4e5058; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--text);
  font: 15px/1.375 "gg sans", "Noto Sans", "DejaVu Sans", "Helvetica Neue", Helvetica, Arial,
  sans-serif, "Noto Color Emoji"; }
#app { height: 100%; }
.booting { padding: 2rem; color: var(--muted); }
.layout { display: grid; grid-template-columns: 240px 1fr 340px; height: 100vh; }
.sidebar { background: var(--side); padding: 12px 8px; display: flex; flex-direction: column; gap: 2px;
  overflow-y: auto; }
.guild-name { font-weight: 700; padding: 4px 8px 12px; border-bottom: 1px solid var(--deep);
  margin-bottom: 8px; }
.section-label { text-transform: uppercase; font-size: 12px; font-weight: 700; color: var(--muted);
  padding: 12px 8px 4px; }
.channel { text-align: left; background: none; border: 0; color: var(--muted); padding: 6px 8px;
  border-radius: 4px; font: inherit; cursor: pointer; }
.channel:hover { background: #35373c; color: var(--text); }
.channel.active { background: #404249; color: #fff; }
select, input, textarea { background: var(--deep); color: var(--text); border: 0; border-radius: 4px;
  padding: 8px; font: inherit; width: 100%; }
.script { margin-top: auto; padding: 8px; }
.entry { font-family: monospace; font-size: 13px; padding: 0 8px; word-break: break-all; }
.deploy { margin: 6px 8px; font-size: 13px; color: var(--muted); }
.deploy.ok { color: #23a55a; } .deploy.failed { color: #f23f43; }
.live { margin: 0 8px; font-size: 12px; color: var(--muted); } .live.on { color: #23a55a; }
.chat { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
.chat-header { padding: 12px 16px; font-weight: 700; border-bottom: 1px solid var(--deep);
  box-shadow: 0 1px 0 rgba(0,0,0,.2); }
.messages { flex: 1; overflow-y: auto; padding: 16px 0; }
.empty { color: var(--muted); padding: 8px 16px; }
.message { display: flex; gap: 16px; padding: 4px 16px 6px; position: relative; }
.message:hover { background: #2e3035; }
.avatar { width: 40px; height: 40px; border-radius: 50%; flex: none; display: grid;
  place-items: center; color: #fff; font-weight: 700; margin-top: 2px; }
.message-main { min-width: 0; flex: 1; }
.message-head { display: flex; align-items: baseline; gap: 8px; }
.author { font-weight: 600; color: #f2f3f5; }
.message.bot .author { color: #c9cdfb; }
.badge { background: var(--blurple); color: #fff; font-size: 10px; font-weight: 700;
  padding: 1px 4px; border-radius: 3px; }
.time { color: var(--muted); font-size: 12px; }
.reply-ref { color: var(--muted); font-size: 13px; }
.thinking { color: var(--muted); font-style: italic; }
.markdown { white-space: pre-wrap; word-wrap: break-word; }
.markdown pre { background: var(--deep); border: 1px solid #232428; border-radius: 4px;
  padding: 8px; white-space: pre-wrap; margin: 4px 0; }
code.inline { background: var(--deep); border-radius: 3px; padding: 0 3px; font-size: 85%; }
.mention { background: rgba(88,101,242,.3); color: #c9cdfb; border-radius: 3px; padding: 0 2px; }
.h1 { font-size: 1.5em; font-weight: 700; } .h2 { font-size: 1.25em; font-weight: 700; }
.h3 { font-weight: 700; } .quote { border-left: 4px solid #4e5058; padding-left: 8px; }
a { color: #00a8fc; }
.embed { display: flex; gap: 16px; max-width: 520px; background: var(--side); border-left: 4px solid;
  border-radius: 4px; padding: 8px 16px 16px 12px; margin-top: 4px; }
.embed-body { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 6px; padding-top: 4px; }
.embed-author { font-size: 14px; font-weight: 600; } .embed-title { font-weight: 700; color: #fff; }
.embed-fields { display: flex; flex-wrap: wrap; gap: 8px; }
.embed-field { flex: 1 1 100%; } .embed-field.inline { flex: 1 1 30%; }
.embed-field-name { font-weight: 600; font-size: 14px; }
.embed-image { max-width: 100%; border-radius: 4px; } .embed-thumb { width: 80px; height: 80px;
  object-fit: cover; border-radius: 4px; }
.embed-footer { font-size: 12px; color: var(--muted); }
.components { display: flex; flex-direction: column; gap: 8px; margin-top: 8px; }
.action-row { display: flex; flex-wrap: wrap; gap: 8px; }
.button { border: 0; border-radius: 3px; padding: 2px 16px; min-height: 32px; color: #fff;
  font: 500 14px/1 inherit; cursor: pointer; display: inline-flex; align-items: center; gap: 4px;
  text-decoration: none; }
.button:disabled { opacity: .5; cursor: not-allowed; }
.button.primary { background: var(--blurple); } .button.primary:hover { background: #4752c4; }
.button.secondary { background: var(--grey); } .button.secondary:hover { background: #6d6f78; }
.button.success { background: var(--green); } .button.success:hover { background: #1a6334; }
.button.danger { background: var(--red); } .button.danger:hover { background: #a12829; }
.button.link { background: var(--grey); }
.button.premium { background: #a58cf0; }
.select { max-width: 400px; }
.container { background: var(--side); border-radius: 8px; border-left: 4px solid; padding: 16px;
  display: flex; flex-direction: column; gap: 8px; max-width: 520px; }
.section { display: flex; gap: 12px; align-items: center; }
.section-text { flex: 1; }
.thumbnail { width: 80px; height: 80px; object-fit: cover; border-radius: 8px; }
.gallery { display: flex; flex-wrap: wrap; gap: 4px; } .gallery img { max-width: 200px; border-radius: 4px; }
.separator { border-top: 1px solid #3f4147; margin: 4px 0; } .separator.blank { border: 0; }
.file { background: var(--deep); padding: 8px; border-radius: 4px; }
.unknown { color: var(--muted); font-size: 12px; }
.reactions { display: flex; gap: 4px; margin-top: 4px; }
.reaction { background: var(--side); border: 1px solid #3f4147; border-radius: 8px; padding: 2px 6px;
  font: 14px inherit; color: var(--text); cursor: pointer; }
.reaction.me { background: rgba(88,101,242,.15); border-color: var(--blurple); }
.add-reaction { display: none; position: absolute; top: -14px; right: 16px; gap: 2px; padding: 2px;
  background: var(--side); border: 1px solid #3f4147; border-radius: 6px; }
.message:hover .add-reaction { display: inline-flex; }
.quick-reaction { background: none; border: 0; cursor: pointer; font-size: 14px; padding: 2px 4px;
  border-radius: 4px; }
.quick-reaction:hover { background: #404249; }
.ephemeral { color: var(--muted); font-size: 12px; margin-top: 4px; }
.banner { margin: 8px 16px; padding: 8px 12px; border-radius: 4px; white-space: pre-wrap; }
.banner.error { background: rgba(218,55,60,.15); border: 1px solid var(--red); color: #f8b4b5;
  font-family: monospace; font-size: 13px; cursor: pointer; }
.composer-wrap { padding: 0 16px 20px; position: relative; }
.composer input { background: #383a40; padding: 11px 16px; border-radius: 8px; }
.suggestions { background: var(--side); border-radius: 8px 8px 0 0; padding: 8px; display: flex;
  flex-direction: column; }
.suggestion { text-align: left; background: none; border: 0; color: var(--text); font: inherit;
  padding: 8px; border-radius: 4px; cursor: pointer; }
.suggestion:hover { background: #35373c; }
.autocomplete { display: flex; flex-direction: column; background: var(--deep); border-radius: 4px;
  padding: 4px; }
.slash-form { background: var(--side); border-radius: 8px; padding: 12px; margin-bottom: 8px;
  display: flex; flex-direction: column; gap: 10px; }
.slash-title { font-weight: 700; display: flex; gap: 8px; align-items: baseline; }
.option-fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px; }
.option-field { display: flex; flex-direction: column; gap: 4px; }
.option-name { font-size: 12px; font-weight: 700; text-transform: uppercase; color: #b5bac1; }
.option-type { font-weight: 400; text-transform: none; color: var(--muted); margin-left: 6px; }
.option-desc { font-size: 12px; color: var(--muted); font-weight: 400; }
.required { color: #f23f43; margin-left: 2px; }
.form-actions { display: flex; justify-content: flex-end; gap: 8px; }
.side { background: var(--side); display: flex; flex-direction: column; min-height: 0;
  border-left: 1px solid var(--deep); }
.pane { display: flex; flex-direction: column; min-height: 0; flex: 1; }
.pane + .pane { border-top: 1px solid var(--deep); }
.pane-title { padding: 10px 12px; font-weight: 700; font-size: 12px; text-transform: uppercase;
  color: var(--muted); display: flex; justify-content: space-between; align-items: center; }
.refresh { background: none; border: 0; color: var(--muted); cursor: pointer; font-size: 14px; }
.pane-body { flex: 1; overflow-y: auto; padding: 8px; font-family: monospace; font-size: 12px; }
.log { padding: 2px 4px; white-space: pre-wrap; word-break: break-word; }
.log .level { font-weight: 700; } .log.info .level { color: #00a8fc; }
.log.warn { color: #f0b232; } .log.error { color: #f23f43; } .log.debug { color: var(--muted); }
.kv-store { margin-bottom: 12px; } .kv-store-name { font-weight: 700; color: #fff; padding: 4px 0; }
.kv-entry { display: flex; gap: 8px; padding: 2px 0; border-bottom: 1px solid #35373c; }
.kv-key { color: #c9cdfb; flex: none; max-width: 40%; word-break: break-all; }
.kv-value { word-break: break-all; }
.overlay { position: fixed; inset: 0; background: rgba(0,0,0,.7); display: grid; place-items: center; }
.modal { background: var(--bg); border-radius: 8px; padding: 16px; width: 440px; display: flex;
  flex-direction: column; gap: 12px; }
.modal-title { font-size: 20px; font-weight: 700; color: #fff; }
.modal textarea { min-height: 80px; }
`;
