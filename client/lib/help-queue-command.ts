/** What staff do with a help request: go to it, give it back, or close it as solved. */
export type HelpQueueCommand = 'help:claim' | 'help:release' | 'help:resolve';
