"""S3 transfer settings shared by the settings file and the benchmarks."""

from boto3.s3.transfer import TransferConfig

MIB = 1024 * 1024


def transfer_config() -> TransferConfig:
    """Multipart uploads in 5 MiB parts, one at a time and one in memory: memory stays flat
    whatever the document's size (the default keeps up to ten 8 MiB parts in memory)."""
    config = TransferConfig(
        multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=1
    )
    # Not a constructor argument of boto3's TransferConfig, but read by s3transfer.
    config.max_in_memory_upload_chunks = 1
    return config
