const entities: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' };

/** Text or an attribute value inside hand-built SVG: the five characters XML gives meaning to, as entities. */
export const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => entities[c]!);
