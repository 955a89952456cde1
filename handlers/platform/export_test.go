package platform

// ShellQuote is shellQuote, for the external tests.
var ShellQuote = shellQuote
