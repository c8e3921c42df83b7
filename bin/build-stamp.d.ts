// Types of build-stamp.js (plain JavaScript: the launcher reads it before any TypeScript loader runs).
export declare const STAMP: string;
export declare function writeStamp(root: string, roots: string[], startedMs: number): void;
export declare function buildIsCurrent(root: string): boolean;
