# Read a release as an R user would: CSV typed from the release's own descriptor (readr), the
# JSON bundle and tables (jsonlite), the SQLite database (DBI + RSQLite). Stops on the first
# disagreement; prints "ok" and the row counts when every reader agrees.
suppressPackageStartupMessages({
  library(readr)
  library(jsonlite)
  library(DBI)
  library(RSQLite)
})

args <- commandArgs(trailingOnly = TRUE)
release <- args[[1]]
descriptor <- fromJSON(file.path(release, "datapackage.json"), simplifyVector = FALSE)
tables <- Filter(function(r) identical(r$format, "csv"), descriptor$resources)
codes <- c(string = "c", integer = "i", number = "d", boolean = "l", date = "D", year = "i")

read_table <- function(res) {
  fields <- res$schema$fields
  spec <- paste(vapply(fields, function(f) codes[[if (is.null(f$type)) "string" else f$type]], ""), collapse = "")
  read_csv(file.path(release, res$path), col_types = spec, na = "", progress = FALSE,
           locale = locale(encoding = "UTF-8"))
}

db <- dbConnect(SQLite(), file.path(release, paste0(descriptor$name, ".db")))
bundle <- fromJSON(file.path(release, paste0(descriptor$name, "-", descriptor$version, ".json")))
counts <- c()
frames <- list()
for (res in tables) {
  frame <- read_table(res)
  frames[[res$name]] <- frame
  in_json <- fromJSON(file.path(release, paste0(res$name, ".json")))
  in_bundle <- bundle$tables[[res$name]]
  in_db <- dbGetQuery(db, sprintf('SELECT COUNT(*) AS n FROM "%s"', res$name))$n
  n_json <- if (is.data.frame(in_json)) nrow(in_json) else length(in_json)
  n_bundle <- if (is.data.frame(in_bundle)) nrow(in_bundle) else length(in_bundle)
  stopifnot(nrow(frame) == n_json, nrow(frame) == n_bundle, nrow(frame) == in_db)
  counts[res$name] <- nrow(frame)
}

# A date column is a Date, an integer column an integer, a category holds only its vocabulary.
stopifnot(inherits(frames$citations$accessed_date, "Date"))
stopifnot(!any(is.na(frames$citations$accessed_date)))
stopifnot(is.integer(frames$tolls$low))
events_schema <- Filter(function(r) identical(r$name, "events"), tables)[[1]]$schema
type_field <- Filter(function(f) identical(f$name, "event_type"), events_schema$fields)[[1]]
stopifnot(all(frames$events$event_type %in% unlist(type_field$constraints$enum)))
stopifnot(identical(sort(unique(frames$events$event_type)),
                    sort(unique(dbGetQuery(db, "SELECT DISTINCT event_type FROM events")$event_type))))
# The database types integers as integers too.
stopifnot(is.integer(dbGetQuery(db, "SELECT low FROM tolls LIMIT 5")$low))
dbDisconnect(db)

cat("ok", paste(names(counts), counts, sep = "=", collapse = " "), "\n")
