// serve: one request in, one response out, always flushed.

import { Request } from "./request";
import { Response } from "./response";

/** A request handler: reads req, answers through res. */
export type Handler = (req: Request, res: Response) => void;

/**
 * Handles the current request with handler: builds the Request from the
 * CGI environment, calls handler, then writes the Response to stdout, so a
 * handler that returns has always answered. Call it from the exported
 * wisp_handle of a reactor, or from the top level of a command:
 *
 *   export function wisp_handle(): void { serve(handle); }
 *
 * A handler that aborts (a trap) answers nothing itself: the node answers
 * 500 and logs the abort's message.
 */
export function serve(handler: Handler): void {
  const req = Request.fromEnvironment();
  const res = new Response();
  handler(req, res);
  res.flush();
}
