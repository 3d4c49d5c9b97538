// The SMTP connection: nodemailer over QSM_SMTP_URL, with short timeouts on every step, so a mail
// server that refuses, or accepts the connection and then says nothing, costs the sender seconds
// and never touches deliveries (sending runs in its own loop, see loop.ts).
import nodemailer from 'nodemailer'

export interface MailTransport {
  send(mail: { from: string; to: string; subject: string; text: string }): Promise<void>
  close(): void
}

export const SMTP_TIMEOUT_MS = 10_000

export function smtpTransport(smtpUrl: string, timeoutMs = SMTP_TIMEOUT_MS): MailTransport {
  const url = new URL(smtpUrl)
  const transporter = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // ?tls=insecure for a local MTA with a self-signed certificate (documented in configuration.md).
    tls: url.searchParams.get('tls') === 'insecure' ? { rejectUnauthorized: false } : undefined,
  })
  return {
    async send(mail) {
      await transporter.sendMail(mail)
    },
    close: () => transporter.close(),
  }
}

/** QSM_SMTP_URL without its password, for the start banner and logs. */
export function describeSmtpUrl(smtpUrl: string): string {
  try {
    const url = new URL(smtpUrl)
    return `${url.protocol}//${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}`
  } catch {
    return 'an SMTP server'
  }
}
