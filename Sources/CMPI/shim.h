// Open MPI (pkg-config `ompi-c`). MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE, … are
// macros over addresses of global structs, which Swift cannot import: these getters return them.
#ifndef VAEKIT_CMPI_SHIM_H
#define VAEKIT_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm vaekit_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype vaekit_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype vaekit_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype vaekit_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype vaekit_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype vaekit_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op vaekit_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op vaekit_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op vaekit_mpi_min(void) { return MPI_MIN; }
static inline void *vaekit_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler vaekit_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int vaekit_mpi_success(void) { return MPI_SUCCESS; }
static inline int vaekit_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline MPI_Request vaekit_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline int vaekit_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline MPI_Status *vaekit_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *vaekit_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int vaekit_mpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
#endif
