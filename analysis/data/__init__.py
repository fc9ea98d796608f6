"""Stage 1, data: the package descriptor, loading and validation, the codebook, the simulation.

``datapackage`` reads and stamps ``data/datapackage.json``; ``datasets`` loads a resource with
its hash and schema verified (the only way analysis code reads data); ``codebook`` describes the
fields for the book; ``simulate`` draws the synthetic engagement sample and ``sample_files``
writes it; ``labels`` holds the words that mark synthetic results.

May import: the base modules (``analysis.paths``, ``errors``, ``atomic``, ``console``) and this
package. Nothing here knows about topics, findings, the build or the book.
"""
