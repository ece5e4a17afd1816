// libjpeg-turbo's decompress API behind one function that never aborts the process.
//
// libjpeg reports a fatal error by calling error_exit, which must not return. The only way
// out that keeps every frame it skips in C is setjmp/longjmp, so the whole decode — from
// jpeg_create_decompress to jpeg_destroy_decompress — runs inside bulwark_jpeg_decode, and
// error_exit jumps back into it (no Swift frame is ever skipped). Corrupt-data warnings are
// treated as errors too, so a truncated file fails instead of decoding to grey.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    struct jpeg_progress_mgr progress;
    jmp_buf escape;
    int max_scans;
    char message[JMSG_LENGTH_MAX];
} bulwark_jpeg_error_mgr;

static inline void bulwark_jpeg_error_exit(j_common_ptr cinfo) {
    bulwark_jpeg_error_mgr *mgr = (bulwark_jpeg_error_mgr *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, mgr->message);
    longjmp(mgr->escape, 1);
}

static inline void bulwark_jpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level < 0) bulwark_jpeg_error_exit(cinfo);  // corrupt data: fail instead of guessing
}

static inline void bulwark_jpeg_progress(j_common_ptr cinfo) {
    bulwark_jpeg_error_mgr *mgr = (bulwark_jpeg_error_mgr *)cinfo->err;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->is_decompressor && d->input_scan_number > mgr->max_scans) {
        snprintf(mgr->message, sizeof mgr->message, "more than %d progressive scans", mgr->max_scans);
        longjmp(mgr->escape, 1);
    }
}

/// Result codes of bulwark_jpeg_decode.
enum { BULWARK_JPEG_OK = 0, BULWARK_JPEG_CORRUPT = 1, BULWARK_JPEG_TOO_LARGE = 2, BULWARK_JPEG_UNSUPPORTED = 3 };

/// Decodes the JPEG in data[0..<size] into 8-bit grey (1 channel) or RGB (3 channels), rows
/// top to bottom. Images wider or taller than max_dimension, or with more than max_pixels
/// pixels, are refused after the header is read and before any pixel is decoded. On success
/// *pixels is a malloc'd buffer of width*height*channels bytes that the caller frees. On failure
/// message holds libjpeg's one-line reason.
static inline int bulwark_jpeg_decode(const unsigned char *data, unsigned long size,
                                      unsigned long max_dimension, unsigned long max_pixels, int max_scans,
                                      unsigned char **pixels, int *width, int *height, int *channels,
                                      char *message, size_t message_size) {
    struct jpeg_decompress_struct cinfo;
    bulwark_jpeg_error_mgr mgr;
    unsigned char *volatile buffer = NULL;
    volatile int status = BULWARK_JPEG_CORRUPT;
    memset(&cinfo, 0, sizeof cinfo);
    memset(&mgr, 0, sizeof mgr);
    *pixels = NULL;
    if (message_size > 0) message[0] = 0;
    cinfo.err = jpeg_std_error(&mgr.base);
    mgr.base.error_exit = bulwark_jpeg_error_exit;
    mgr.base.emit_message = bulwark_jpeg_emit_message;
    mgr.max_scans = max_scans;
    if (setjmp(mgr.escape)) {
        if (message_size > 0) snprintf(message, message_size, "%s", mgr.message);
        jpeg_destroy_decompress(&cinfo);
        free(buffer);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    mgr.progress.progress_monitor = bulwark_jpeg_progress;
    cinfo.progress = &mgr.progress;
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.image_width == 0 || cinfo.image_height == 0 || cinfo.image_width > max_dimension ||
        cinfo.image_height > max_dimension ||
        (unsigned long long)cinfo.image_width * cinfo.image_height > max_pixels) {
        status = BULWARK_JPEG_TOO_LARGE;
        snprintf(mgr.message, sizeof mgr.message, "%ux%u pixels exceed the limit (%lu per side, %lu in all)",
                 cinfo.image_width, cinfo.image_height, max_dimension, max_pixels);
        longjmp(mgr.escape, 1);
    }
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_YCbCr: case JCS_RGB: cinfo.out_color_space = JCS_RGB; break;
    default:
        status = BULWARK_JPEG_UNSUPPORTED;
        snprintf(mgr.message, sizeof mgr.message, "colour space %d (CMYK or YCCK) is not supported", (int)cinfo.jpeg_color_space);
        longjmp(mgr.escape, 1);
    }
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    buffer = (unsigned char *)malloc(stride * cinfo.output_height);
    if (buffer == NULL) {
        status = BULWARK_JPEG_TOO_LARGE;
        snprintf(mgr.message, sizeof mgr.message, "out of memory");
        longjmp(mgr.escape, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = buffer + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    *width = (int)cinfo.output_width;
    *height = (int)cinfo.output_height;
    *channels = cinfo.output_components;
    *pixels = buffer;
    jpeg_destroy_decompress(&cinfo);
    return BULWARK_JPEG_OK;
}
