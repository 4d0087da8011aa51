/**
 * Request body limits.
 *
 * The gateway's default must hold one full Track360 bulk call ("Bulk endpoints accept up to 1000 records per
 * request"; "String fields must not exceed 500 characters"): 1,000 customer records, the largest record type, with
 * every string at its maximum and every character one that UTF-8 spells in 4 bytes (emoji, rarer CJK). That body is
 * about 17.5 MB (17,500,498 bytes with the upsert mutation, measured by test/unit/body-limits.test.ts from the
 * validator's own limits); 24 MB leaves about a third of margin. A request of plain ASCII at the same limits is 4.6 MB.
 * Strings written as JSON \u escapes instead of raw UTF-8 take more and are not covered.
 */
export const DEFAULT_MAX_BODY_SIZE = '24mb';

/**
 * Subgraphs hear only from the gateway, which forwards an operation's variables as it received them: they accept
 * more than the gateway's default so that a body the gateway let through is never refused behind it.
 */
export const SUBGRAPH_MAX_BODY_SIZE = '64mb';
