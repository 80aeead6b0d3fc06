package wisp

// Unexported parts of variables.go for the external tests.
var (
	LookupVariable         = (*Node).lookupVariable
	CheckRequiredVariables = (*Node).checkRequiredVariables
)
