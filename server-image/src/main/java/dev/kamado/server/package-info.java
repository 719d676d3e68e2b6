/** Kamado server. */
package dev.kamado.server;
