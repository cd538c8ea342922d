/** Socket.IO namespaces, one per role. Zod-free, so pages may import it as a value. */
export const Namespaces = { learner: '/learner', staff: '/staff', display: '/display' } as const;
