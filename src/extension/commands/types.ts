/**
 * The shape of a command in the table: a factory that takes the running state and returns the
 * handler VS Code calls. Handlers accept optional arguments so tests and other extensions can
 * run them without pickers or input boxes.
 */
import type { Ctx } from '../context';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (...args: any[]) => unknown;
export type CommandFactory = (ctx: Ctx) => Handler;
