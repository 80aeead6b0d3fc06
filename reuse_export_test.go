package wisp

// EngineReused returns how many runs of n's reactors and component graphs
// ran on a reused instance (engine.Stats.Reused), for the external tests.
func EngineReused(n *Node) uint64 { return n.engine.Stats().Reused }
