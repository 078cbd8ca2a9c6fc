/** Domain errors carry an HTTP status and a stable code; one handler turns them into RFC 9457 problems. */
export interface FieldError {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError(404, 'not-found', `${what} not found`);
/** A link that existed but is no longer valid: still a 404 (as an unknown one), with its own problem type and words. */
/** A link that worked once and has expired; it may know its campaign, so a page can lead back to it. */
export class LinkExpiredError extends DomainError {
  constructor(
    what: string,
    readonly campaignSlug?: string,
  ) {
    super(404, 'link-expired', `This ${what} has expired`);
  }
}
export const linkExpired = (what: string, campaignSlug?: string) => new LinkExpiredError(what, campaignSlug);
export const conflict = (message: string) => new DomainError(409, 'conflict', message);
export const invalid = (message: string, errors?: FieldError[]) =>
  new DomainError(422, 'unprocessable', message, errors);
export const unauthorized = () => new DomainError(401, 'unauthorized', 'A valid bearer API key is required');
export const forbidden = (scope: string) => new DomainError(403, 'forbidden', `This key lacks the "${scope}" scope`);

export const problemTitles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
