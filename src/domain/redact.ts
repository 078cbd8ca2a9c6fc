/**
 * Servers often quote the recipient ("550 <jane@example.org>: no such user"). Failure reasons
 * (delivery errors, bounce diagnostics) are stored on letters, outbox rows and paused domains,
 * where erasure would never find them: so no stored reason keeps an address.
 */
export function redactAddresses(text: string): string {
  return text.replace(/<?[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+>?/g, '<address>');
}
