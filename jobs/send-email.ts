// Sends a transactional email. Here the SMTP call is simulated so the example
// runs anywhere; swap `deliver` for your provider's SDK (installed beside jobs/).
import { defineJob, z, Unrecoverable } from "qworker";

const BLOCKED_DOMAINS = new Set(["example.invalid"]);

async function deliver(to: string, subject: string, signal: AbortSignal): Promise<string> {
  await new Promise((resolve, reject) => {
    const t = setTimeout(resolve, 150);
    signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
  return `<${crypto.randomUUID()}@qworker.local>`;
}

export default defineJob({
  name: "send-email",
  queue: "critical",
  schema: z.object({
    to: z.string().email(),
    subject: z.string().min(1).max(200),
    body: z.string().default(""),
  }),
  attempts: 5,
  backoff: { type: "exponential", delayMs: 1_000, maxMs: 10 * 60_000, jitter: true },
  timeout: "30s",
  unique: { key: (p) => `${p.to}:${p.subject}`, ttl: "10m" },
  async run(payload, ctx) {
    if (BLOCKED_DOMAINS.has(payload.to.split("@")[1])) throw new Unrecoverable(`domain of ${payload.to} does not accept mail`);
    ctx.progress(20, "rendering");
    ctx.progress(60, "sending");
    const messageId = await deliver(payload.to, payload.subject, ctx.signal);
    ctx.log.info("email sent", { to: payload.to, messageId });
    ctx.progress(100, "sent");
    return { messageId };
  },
});
