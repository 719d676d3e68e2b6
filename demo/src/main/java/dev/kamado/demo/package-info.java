/** Kamado demo. */
package dev.kamado.demo;
