import type { LearnerState } from './state.ts';

/**
 * Every count of the class counts people, never tablets: a tablet shared in pair mode is its learner
 * plus their partners (the console, the projector and the results agree: "4/4", not "3/3").
 */
export const people = (learner: Pick<LearnerState, 'partners'>): number => 1 + learner.partners.length;
