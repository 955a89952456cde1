// Package platform holds the functions that keep the product itself
// healthy rather than moving business data: the health endpoint the deploy
// pipeline and Azure's health check call, and the dead-letter watch that
// tells people what is stuck.
package platform
