/// <reference types="../globals.d.ts" />
// Type-level checks of the SDK declarations: checked by globals_test.ts, never run.

export const sub = subcommand({
  name: "show",
  description: "Show a tag",
  options: [
    { name: "name", description: "d", type: OptionType.String, required: true, autocomplete: true },
    {
      name: "n",
      description: "d",
      type: OptionType.Integer,
      choices: [{ name: "one", value: 1 }, { name: "two", value: 2 }],
    },
  ],
  autocomplete: { name: (ctx) => [{ name: ctx.focused.value, value: "x" }] },
  run: async (ctx) => {
    const n: string = ctx.options.name;
    const m: 1 | 2 | undefined = ctx.options.n;
    await ctx.reply(n + m);
  },
});

export const cmd = slash({
  name: "show",
  description: "Show a tag",
  options: [
    { name: "u", description: "d", type: OptionType.User, required: true },
    { name: "flag", description: "d", type: OptionType.Boolean },
    { name: "ratio", description: "d", type: OptionType.Number, required: true },
  ],
  run: async (ctx) => {
    const n: string = ctx.options.u;
    const r: number = ctx.options.ratio;
    // @ts-expect-error flag may be undefined
    const f: boolean = ctx.options.flag;
    // @ts-expect-error no such option
    ctx.options.nope;
    await ctx.reply(n + f + r);
  },
});

export const typed = prefix({
  name: "give",
  args: [{ name: "user", type: "user" }, { name: "amount", type: "integer" }, {
    name: "note",
    type: "rest",
    required: false,
  }],
  run: (ctx) => {
    const amount: number = ctx.args.amount;
    // @ts-expect-error note may be undefined
    const note: string = ctx.args.note;
    const words: string[] = ctx.argv;
    return [amount, note, words];
  },
});

export const untyped = prefix({
  name: "echo",
  run: (ctx) => {
    const words: string[] = ctx.args;
    return words;
  },
});

on("reactionAdd", (r) => {
  const emoji: string | null = r.emoji.name;
  return emoji;
});
// @ts-expect-error not an event
on("nonsense", () => {});

export async function kvTypes(): Promise<number> {
  const store: flora.KvStore = kv("x");
  const value = await store.get<{ n: number }>("k");
  // @ts-expect-error functions are not JSON
  await store.set("k", () => 1);
  return value?.n ?? 0;
}

export async function fetchTypes(): Promise<string> {
  const marker: string = secret("API_KEY");
  const res: Response = await fetch("https://api.example.com/", {
    headers: { authorization: `Bearer ${marker}` },
  });
  // @ts-expect-error a secret is named by a string
  secret(1);
  return await res.text();
}

export async function guildDataTypes(): Promise<number> {
  const xp: flora.SortedStore = sorted("xp");
  const best: flora.SortedEntry[] = await xp.top(10);
  const place: number | null = await xp.rank("user");
  const moved = await kv.transact<number>([["bank", "a"], ["bank", "b"]], ([a = 0, b = 0]) => [
    a - 1,
    b + 1,
  ]);
  // @ts-expect-error a transaction names [store, key] pairs
  await kv.transact(["bank", "a"], () => null);
  await kv.transact([["bank", "a"]], () => [kv.DELETE]);
  tasks.on("remind", (task: flora.TaskInfo) => task.payload);
  const task = await tasks.schedule("remind", { in: "10m" }, { text: "tea" }, { key: "k" });
  // @ts-expect-error a task runs at an instant or after a delay
  await tasks.schedule("remind", { after: 5 });
  await tasks.cancel(task.id);
  const granted: number = await requestCpuBurst(1_000);
  return best.length + (place ?? 0) + (moved?.[0] ?? 0) + granted;
}
