/*
 * The countdown's clock (not the staff screens' ViewClock, view-clock.svelte.ts, which follows the
 * staff views' own stamps). Deadlines come from the server's clock; a tablet's own clock may be minutes off. The HTTP Date
 * header of one small request gives the offset (to the second, enough for a countdown).
 */
let offset = 0;
let asked = false;

export function syncCountdownClock(): void {
  if (asked) return;
  asked = true;
  const sent = Date.now();
  fetch('/api/info', { method: 'HEAD', cache: 'no-store' })
    .then((res) => {
      const server = Date.parse(res.headers.get('date') ?? '');
      // The header is truncated to the second: its middle is half a second later.
      if (server) offset = server + 500 - (sent + Date.now()) / 2;
    })
    .catch(() => (asked = false));
}

/** Now, as the server counts it. */
export const countdownNow = (): number => Date.now() + offset;
