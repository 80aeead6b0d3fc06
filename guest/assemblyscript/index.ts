// The package's entry when imported by name (import { serve } from
// "wisp-as"): AssemblyScript 0.28 resolves a package to
// node_modules/<name>/index.ts. Everything is in assembly/.
export * from "./assembly/index";
