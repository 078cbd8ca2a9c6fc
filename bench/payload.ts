const countries = ['KZ', 'DE', 'US', 'GB', 'FR', 'NL', 'SE', 'CA'];

/**
 * A supporter's submission as the action page sends it, the same for the service and the
 * baselines; `prefix` keeps every run's addresses distinct (distinct supporters, never duplicates).
 */
export function submission(prefix: string, n: number) {
  return {
    name: `Supporter ${n}`,
    email: `${prefix}-${n}@example.org`,
    country: countries[n % countries.length]!,
    city: 'Almaty',
    note: 'Please let him and his family stay safely in Kazakhstan.',
    consentUpdates: n % 2 === 0,
  };
}
