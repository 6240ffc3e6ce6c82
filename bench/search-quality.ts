/**
 * Search quality, one pipeline for every planner: the harness lives in bench/search-quality/ (flags, plan, rows,
 * run-one, child, schedule, table, report, main); this entry keeps the recorded command `npx tsx bench/search-quality.ts`.
 */
import './search-quality/main.js';
