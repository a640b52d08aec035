// An error as one line for a log or a response: its message, without secrets, at most 500
// characters. Its own module so triggers that load little (Event Grid) can use it.

export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // SAS tokens can appear in storage error messages: never pass them on, however the URL
  // around them is written (`?sig=`, `&amp;sig=`, `\u0026sig=`, `sig%3D`, `…Signature=sig=`).
  return msg.replace(/(?<![a-z])(sig(?:=|%3d))[^&\s"';<]+/gi, '$1REDACTED').slice(0, 500);
}
