// negotiator (the Accept parser Apollo Server and Express use) ships no types of its own.
declare module 'negotiator' {
  interface Headers {
    accept?: string | undefined;
  }
  export default class Negotiator {
    constructor(request: { headers: Headers });
    /** The most preferred of `available` that the Accept header allows, if any. */
    mediaType(available: readonly string[]): string | undefined;
  }
}
