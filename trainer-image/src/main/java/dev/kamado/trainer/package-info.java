/** Kamado trainer. */
package dev.kamado.trainer;
