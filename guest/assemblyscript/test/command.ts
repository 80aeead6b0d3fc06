// The SDK in a command module (built with --exportStart _start): the
// handler runs from the top level, once per instance.

import { serve, Request, Response } from "../assembly/index";

serve((req: Request, res: Response): void => {
  res.text(200, "command " + req.method + " " + req.pathInfo);
});
