/**
 * Icons as SVG path data (24×24, stroked), drawn by Icon.svelte: served with the page, so a tablet
 * without an emoji font still shows them. One export per icon, so a page carries only those it uses.
 */
export const hand =
  'M8 13V5.5a1.5 1.5 0 0 1 3 0V12m0-7.5v-1a1.5 1.5 0 0 1 3 0V12m0-6.5a1.5 1.5 0 0 1 3 0V12m0-3.5a1.5 1.5 0 0 1 3 0V15a7 7 0 0 1-7 7h-1a7 7 0 0 1-5.6-2.8L3.2 15a1.5 1.5 0 0 1 2.4-1.8L8 16';
export const check = 'M4 12.5l5 5L20 6.5';
export const cross = 'M6 6l12 12M18 6L6 18';
export const hourglass = 'M6 3h12M6 21h12M7 3c0 5 10 5 10 9s-10 4-10 9M17 3c0 5-10 5-10 9s10 4 10 9';
export const speaker = 'M4 9h4l5-4v14l-5-4H4zM16.5 8.5a5 5 0 0 1 0 7M19 6a8.5 8.5 0 0 1 0 12';
export const stop = 'M7 7h10v10H7z';
export const left = 'M15 5l-7 7 7 7';
export const right = 'M9 5l7 7-7 7';
export const contrast = 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18zM12 3v18';
export const textSize = 'M3 19L8 6l5 13M4.8 14.5h6.4M14 19l3.5-9 3.5 9M15.2 16h4.6';
export const pencil = 'M4 20l1-5L16 4l4 4L9 19zM14 6l4 4';
export const warn = 'M12 3L2 20h20zM12 10v4.5M12 17.5v.5';
export const arrow = 'M4 12h15M13 6l6 6-6 6';
export const external = 'M14 4h6v6M20 4l-9 9M18 14v6H4V6h6';
export const retry = 'M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5';
export const undo = 'M9 14L4 9l5-5M4 9h10a6 6 0 0 1 0 12h-3';
export const play = 'M7 4l13 8-13 8z';
export const wifiOff =
  'M3 3l18 18M8.5 16.5a5 5 0 0 1 7 0M5 12.5a10 10 0 0 1 5-2.6M19 12.5a10 10 0 0 0-2.2-1.6M2 8.5a15 15 0 0 1 4-2.5M22 8.5A15 15 0 0 0 11 4.6M12 20h.01';
export const note = 'M9 18V5l11-2v13M9 18a3 3 0 1 1-6 0a3 3 0 0 1 6 0zM20 16a3 3 0 1 1-6 0a3 3 0 0 1 6 0z';
export const download = 'M12 4v11M7 10l5 5 5-5M5 20h14';
export const upload = 'M12 16V5M7 10l5-5 5 5M5 20h14';
export const up = 'M6 15l6-6 6 6';
export const down = 'M6 9l6 6 6-6';
export const settings = 'M4 6h16M4 12h16M4 18h16M9 3.5v5M15 9.5v5M8 15.5v5';
export const dot = 'M12 7a5 5 0 1 0 0 10a5 5 0 1 0 0-10z';
