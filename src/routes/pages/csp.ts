/** The CSP every page gets: nothing from anywhere but this origin, no inline script or style. */
export function pageCsp(https: boolean, frameAncestors: string[] = ["'none'"]) {
  return {
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors,
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      // Only where the site is served over HTTPS: on plain HTTP it would break every form post.
      upgradeInsecureRequests: https ? [] : null,
    },
  };
}
