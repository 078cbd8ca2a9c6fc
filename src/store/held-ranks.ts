/** The order the accept path's held inserts go out in (AsyncSql.hold): each table after those its rows reference. */
export const heldRank = { supporters: 0, submissions: 1, letters: 2, outbox: 3 } as const;
