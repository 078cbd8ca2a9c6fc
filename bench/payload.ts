const countries = ['KZ', 'DE', 'US', 'GB', 'FR', 'NL', 'SE', 'CA'];

/**
 * A supporter's submission as the action page sends it, the same for the service and the
 * baselines; `prefix` keeps every run's addresses distinct (distinct supporters, never duplicates).
 */
export function submission(prefix: string, n: number, ownWords?: string) {
  const mine = ownWords === undefined ? {} : { body: `${ownWords}\n\nI met his family in Almaty in ${2000 + (n % 20)}; please do not send him back.` };
  return {
    ...mine,
    name: `Supporter ${n}`,
    email: `${prefix}-${n}@example.org`,
    country: countries[n % countries.length]!,
    city: 'Almaty',
    note: 'Please let him and his family stay safely in Kazakhstan.',
    consentUpdates: n % 2 === 0,
  };
}
