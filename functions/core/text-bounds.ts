/**
 * The longest free text a person writes into a request (a failover's or an abort's reason, an
 * approval's or a rejection's comment), in characters (UTF-16 code units, as JavaScript and zod
 * count them), after trimming. The operator API refuses longer (400); the console's fields stop
 * there, so nobody types what the API will refuse. No dependencies: the console bundles it.
 */
export const FREE_TEXT_MAX_CHARS = 1024;
